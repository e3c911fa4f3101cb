"""The demo's plans once a unit holds a case: investigation, the response or completion report,
then review, recheck, follow-up and closing."""

from __future__ import annotations

from domain.commands import (
    AnswerSupervisionOrder,
    ApproveReport,
    ChangeHandler,
    ChangeLeader,
    Close,
    DecideRecheck,
    DecideReview,
    Hearing,
    IssueSupervisionOrder,
    RecordDispositions,
    RecordFollowUp,
    RecordProgress,
    RecordVisit,
    Reopen,
    RequestRecheck,
    RequestReview,
    Respond,
    ReturnReport,
    SetFlag,
    SubmitReport,
)
from domain.values import (
    Actor,
    Decision,
    Disposition,
    Flag,
    HearingAction,
    Outcome,
    Resolution,
    Satisfaction,
    Status,
    VisitKind,
)
from scripts.demo.matters import PROGRESS_NOTES, RESPONSES
from scripts.demo.plans import Later, Plan, PlanWriter, at_step, days_after


class Handling(PlanWriter):
    """Plans the stages of a case held by a unit, up to the status the plan ends in."""

    def working(self, plan: Plan, unit: str, handler: Actor, sponsor: Actor | None) -> Actor:
        """Investigation: progress notes, visits, supervision, hand-overs. Returns the handler."""
        c = self.county
        rng = self.rng
        for _ in range(rng.randint(0, 2)):
            plan.add(self.days(2, 10), RecordProgress, handler, note=rng.choice(PROGRESS_NOTES))
        if self.chance(0.3):
            plan.add(
                self.days(1, 8),
                RecordVisit,
                handler,
                kind=VisitKind.HOME_VISIT,
                leader_id=None,
                held_at=Later(at_step),
                notes="承办人上门走访信访人，核实情况并宣讲相关政策。",
            )
        if sponsor is None and self.chance(0.08):
            sponsor = c.pick("leader", "leader2", "leader3")
            plan.add(
                self.days(0, 3),
                ChangeLeader,
                c.pick("supervisor", "supervisor2"),
                "列为县级领导包案化解",
                leader_id=sponsor.id,
            )
        if sponsor is not None and self.chance(0.7):
            kind = rng.choice([VisitKind.RECEPTION, VisitKind.HOME_VISIT, VisitKind.APPOINTMENT])
            plan.add(
                self.days(1, 10),
                RecordVisit,
                sponsor,
                kind=kind,
                leader_id=sponsor.id,
                held_at=Later(at_step),
                notes="包案领导面对面听取信访人诉求，责成承办单位限期解决。",
            )
        if self.chance(0.05):
            plan.add(0, SetFlag, c.pick("supervisor", "supervisor2"), flag=Flag.KEY_CASE, on=True)
        if self.chance(0.1):
            n = sum(1 for s in plan.steps if s.command is IssueSupervisionOrder) + 1
            due = rng.choice((7, 10, 15))
            plan.add(
                self.days(3, 15),
                IssueSupervisionOrder,
                c.pick("supervisor", "supervisor2"),
                due_date=days_after(due),
                text="该件办理进度缓慢，请按期报送办理情况。",
            )
            if self.chance(0.7):
                plan.add(
                    self.days(2, 9),
                    AnswerSupervisionOrder,
                    handler,
                    n=n,
                    text="已按督办要求加快办理，已约谈相关责任方，预计两周内办结。",
                )
        others = [h for h in c.handlers(unit) if h != handler]
        if others and self.chance(0.05):
            handler = rng.choice(others)
            plan.add(
                self.days(1, 5),
                ChangeHandler,
                c.head(unit),
                "原承办人工作调整",
                handler_id=handler.id,
            )
        if plan.target in {Status.IN_PROGRESS, Status.EXTENDED} and self.chance(0.06):
            plan.add(0, SetFlag, c.pick("supervisor", "supervisor2"), flag=Flag.BACKLOG, on=True)
        self.maybe_repeat(plan, 0.1)
        return handler

    def maybe_redo(self, plan: Plan, unit: str, handler: Actor, assign: bool) -> None:
        """Some cases in progress are back there after a review or a reopening."""
        if assign or not self.chance(0.15):
            return
        c = self.county
        self.respond(plan, unit, handler, dispositions=False)
        if self.chance(0.5):
            plan.add(self.days(5, 20), RequestReview, c.pick("clerk", "clerk2"))
            plan.add(
                self.days(10, 25),
                DecideReview,
                c.pick("supervisor", "supervisor2"),
                decision=Decision.REDO,
                text="原处理意见事实不清，责成原办理单位重新办理。",
            )
        else:
            plan.add(
                self.days(31, 40),
                Close,
                c.pick("dispatcher", "dispatcher2"),
                resolution=Resolution.UNRESOLVED,
            )
            plan.add(
                self.days(3, 20),
                Reopen,
                c.pick("dispatcher", "dispatcher2"),
                "信访人提供新的证据材料，经分管领导批准重新办理",
                approved_by=c.people["leader2"].name,
            )

    def respond(
        self, plan: Plan, unit: str, handler: Actor, *, dispositions: bool = True
    ) -> Outcome:
        """The unit's response, and often what was done to settle the matter (三到位一处理)."""
        c = self.county
        rng = self.rng
        outcome = rng.choices(list(RESPONSES), weights=(45, 40, 15))[0]
        plan.add(
            self.days(8, 35),
            Respond,
            handler if self.chance(0.8) else c.head(unit),
            outcome=outcome,
            text=RESPONSES[outcome],
            delivered_at=Later(at_step),
        )
        if dispositions and self.chance(0.6):
            kinds = {
                Outcome.SUPPORTED: [Disposition.RESOLVED],
                Outcome.EXPLAINED: [Disposition.EDUCATED],
                Outcome.NOT_SUPPORTED: [Disposition.EDUCATED],
            }[outcome]
            if plan.topic.subject == "低保申请" or self.chance(0.1):
                kinds = [*kinds, Disposition.ASSISTED]
            plan.add(0, RecordDispositions, handler, kinds=kinds, note="三到位一处理已落实。")
        return outcome

    def report(self, plan: Plan, unit: str, handler: Actor) -> None:
        """The completion report of an assigned case, sometimes returned once, then approved."""
        c = self.county
        plan.add(
            self.days(8, 30),
            SubmitReport,
            handler,
            text="办结报告：经调查核实，已督促相关方整改到位，信访人诉求已依法处理。",
        )
        if plan.target is Status.REPORT_SUBMITTED:
            return
        dispatcher = c.pick("dispatcher", "dispatcher2")
        if self.chance(0.2):
            plan.add(self.days(1, 4), ReturnReport, dispatcher, "办结报告未附调查笔录，请补充")
            plan.add(
                self.days(3, 8),
                SubmitReport,
                handler,
                text="补充办结报告：已附调查笔录和整改凭证。",
            )
        plan.add(self.days(1, 4), ApproveReport, dispatcher)

    def after_response(self, plan: Plan, unit: str, handler: Actor) -> None:
        """Review, recheck, follow-up and closing."""
        c = self.county
        rng = self.rng
        target = plan.target
        clerk = c.pick("clerk", "clerk2")
        supervisor = c.pick("supervisor", "supervisor2")
        dispatcher = c.pick("dispatcher", "dispatcher2")
        if target is Status.RESPONDED:
            if self.chance(0.4):
                self.follow_up(plan)
            return
        wants_review = target in {
            Status.UNDER_REVIEW,
            Status.REVIEWED,
            Status.UNDER_RECHECK,
            Status.TERMINATED,
        } or (target is Status.CLOSED and self.chance(0.25))
        if not wants_review:
            satisfaction = self.follow_up(plan, p=0.8)
            resolution = (
                Resolution.UNRESOLVED
                if satisfaction is Satisfaction.UNSATISFIED
                else rng.choice([Resolution.SETTLED, Resolution.RESOLVED])
            )
            plan.add(self.days(31, 45), Close, dispatcher, resolution=resolution)
            return
        plan.add(self.days(5, 25), RequestReview, clerk)
        if target is Status.UNDER_REVIEW:
            return
        decision = rng.choices(
            [Decision.UPHELD, Decision.CHANGED, Decision.REVOKED], weights=(75, 18, 7)
        )[0]
        upheld = decision is Decision.UPHELD
        plan.add(
            self.days(10, 28),
            DecideReview,
            supervisor,
            decision=decision,
            text="复查意见：维持原处理意见。" if upheld else "复查意见：变更原处理意见。",
        )
        if target is Status.REVIEWED:
            return
        if target is Status.CLOSED:
            plan.add(self.days(31, 40), Close, dispatcher, resolution=Resolution.RESOLVED)
            return
        plan.add(self.days(5, 25), RequestRecheck, clerk)
        hearing = self.chance(0.5)
        if hearing:
            plan.add(self.days(3, 10), Hearing, supervisor, action=HearingAction.START)
        if target is Status.UNDER_RECHECK:
            return
        if hearing:
            plan.add(self.days(2, 7), Hearing, supervisor, action=HearingAction.END)
        plan.add(
            self.days(5, 18),
            DecideRecheck,
            supervisor,
            decision=Decision.UPHELD,
            text="复核意见：维持复查意见，本信访事项复核终结。",
        )
        if self.chance(0.3):
            self.follow_up(plan)

    def follow_up(self, plan: Plan, p: float = 1.0) -> Satisfaction | None:
        """With probability p, the office asks the petitioner how satisfied they are."""
        if not self.chance(p):
            return None
        satisfaction = self.rng.choices(list(Satisfaction), weights=(60, 25, 15))[0]
        plan.add(
            self.days(3, 12),
            RecordFollowUp,
            self.county.pick("clerk", "clerk2"),
            satisfaction=satisfaction,
            note="电话回访信访人，了解办理结果落实情况。",
        )
        return satisfaction
