"""The work budget on a page: what ``optimizers.budget`` granted, said where the user looks.

Pages call ``show_plan(budget.plan_…(…))`` once per heavy computation and then use ``plan["steps"]`` (etc.).
A scaled-down request gets an info notice, a refused one an error and the page stops there (the settings
stay editable above). The last plan of each kind is kept in ``st.session_state["work_budget"]`` (tests read it).
"""
from __future__ import annotations

import streamlit as st

from optimizers.budget import Plan


def show_plan(plan: Plan, where=None) -> Plan:
    st.session_state.setdefault("work_budget", {})[plan.kind] = plan
    target = where if where is not None else st
    if plan.refused:
        target.error(plan.message, icon=":material/timer_off:")
        st.stop()
    if plan.reduced:
        target.info(plan.message, icon=":material/timer:")
    return plan
