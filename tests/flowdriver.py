"""Drives a floor flow's rules as the page would: each answer's state feeds the next."""

import uuid

from webapp import steps
from webapp.steps import Entry


class Worker:
    def __init__(self, flow, user, state=None):
        self.flow, self.user, self.state, self.step = flow, user, dict(state or {}), None

    def __call__(self, scan="", action="", qty="", date="", key=None) -> steps.Step:
        entry = Entry(
            state=self.state,
            scan=scan,
            action=action,
            typed_qty=qty,
            typed_date=date,
            key=key or uuid.uuid4().hex,
            device="test-gun",
            # Undo names the movement the screen offers, as the page sends it.
            undo=str(self.step.undo or "") if action == "undo" and self.step else "",
        )
        self.step = steps.run(self.flow, self.user, entry)
        self.state = self.step.state
        return self.step
