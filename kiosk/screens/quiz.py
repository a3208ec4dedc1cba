"""A quiz: one question at a time, immediate feedback with the explanation, a score at the end."""

from __future__ import annotations

import pygame

from content_packs.model import QuizScene
from kepu_contracts.events import EventType
from kiosk import shapes
from kiosk.screens.base import Context, GoHome, Intent, Record, Screen, Target
from kiosk.text import wrap

PROGRESS = ("第 {n} / {total} 题", "Question {n} of {total}")
CHOOSE = ("请选择一个答案", "Choose an answer")
RIGHT = ("答对了！", "Correct!")
WRONG = ("不对哦", "Not quite")
NEXT = ("下一题 ›", "Next ›")
SEE_SCORE = ("看成绩 ›", "See score ›")
MORE = ("继续看 ›", "More ›")  # the explanation goes on in a next part
SCORE = ("你答对了 {k} / {n} 题", "You got {k} of {n} right")
PRAISE = (
    ("再看看展项，你一定行！", "Have another look, you can do it!"),
    ("不错，继续加油！", "Good, keep going!"),
    ("太棒了，全部答对！", "Brilliant, all correct!"),
)
AGAIN = ("再来一次", "Try again")
DONE = ("完成", "Done")
LETTERS = "ABCD"
ANSWER = ("正确答案：{letter}. {text}", "Answer: {letter}. {text}")


class QuizScreen(Screen):
    def __init__(self, ctx: Context, area: pygame.Rect, scene: QuizScene):
        self.scene = scene
        self.scene_id = scene.id
        self.index = 0
        self.chosen: int | None = None
        self.correct = 0
        self.finished = False
        self.part = 0  # a long explanation is shown in parts, never shrunk or clipped
        self.parts: list[str] = [""]
        super().__init__(ctx, area)

    @property
    def visitor_weights(self) -> dict[str, float]:  # type: ignore[override]
        if self.finished:
            return {"done": 3.0, "again": 1.0}
        if self.chosen is not None:
            return {"next": 1.0}
        return {f"choice:{i}": 1.0 for i in range(len(self.question.choices))}

    @property
    def question(self):
        return self.scene.questions[self.index]

    def relayout(self) -> None:
        theme, painter = self.ctx.theme, self.ctx.painter
        inner = self.area.inflate(-2 * theme.margin, -2 * theme.margin)
        bh = theme.button_height
        self._targets = []
        if self.finished:
            bw = min(inner.width // 2 - theme.gap, max(theme.min_target * 2, round(theme.vmin * 34 * theme.scale)))
            y = inner.bottom - bh
            self._targets = [
                Target("again", pygame.Rect(inner.centerx - theme.gap - bw, y, bw, bh)),
                Target("done", pygame.Rect(inner.centerx + theme.gap, y, bw, bh)),
            ]
            return
        small = theme.font("small")
        self.progress_rect = pygame.Rect(inner.left, inner.top, inner.width, painter.line_height(small))
        heading = theme.font("heading")
        prompt_h = painter.wrapped_height(self.ctx.t(self.question.prompt), inner.width, heading, bold=True)
        prompt_h = min(prompt_h, round(inner.height * 0.45))
        self.prompt_rect = pygame.Rect(inner.left, self.progress_rect.bottom, inner.width, prompt_h)
        nav_w = max(theme.min_target * 2, round(theme.vmin * 30 * theme.scale))
        self.next_rect = pygame.Rect(inner.right - nav_w, inner.bottom - bh, nav_w, bh)
        body = pygame.Rect(
            inner.left,
            self.prompt_rect.bottom + theme.gap,
            inner.width,
            self.next_rect.top - theme.gap - self.prompt_rect.bottom - theme.gap,
        )
        if theme.portrait:
            choices_h = round(body.height * 0.55)
            choices = pygame.Rect(body.left, body.top, body.width, choices_h)
            self.card_rect = pygame.Rect(
                body.left, choices.bottom + theme.gap * 2, body.width, body.bottom - choices.bottom - theme.gap * 2
            )
        else:
            choices = pygame.Rect(
                body.left, body.top, round(body.width * (0.48 if theme.senior else 0.54)), body.height
            )
            self.card_rect = pygame.Rect(
                choices.right + theme.margin, body.top, body.right - choices.right - theme.margin, body.height
            )
        fitted = self._stack(choices)
        # Long choices or a long explanation do not fit beside each other (长者模式 on a small
        # screen): the choices get the whole width, and after the answer the feedback card
        # gets the whole body, restating the right answer.
        self.full = fitted is None
        if fitted is None:
            # Before the answer there is no Next button: the choices may use its row too.
            whole = pygame.Rect(body.left, body.top, body.width, inner.bottom - body.top)
            fitted = self._stack(whole) or self._stack(whole, force=True) or []
        self.choice_rects: list[pygame.Rect] = fitted
        if self.chosen is None:
            self._targets = [Target(f"choice:{i}", r) for i, r in enumerate(self.choice_rects)]
            return
        self._targets = [Target("next", self.next_rect)]
        self._layout_card()
        if len(self.parts) > 1 and not self.full and not theme.portrait:
            self.full = True
        if self.full:
            # The card takes the question's place too: it restates the answer in words.
            self.card_rect = pygame.Rect(
                body.left, self.prompt_rect.top, body.width, body.bottom - self.prompt_rect.top
            )
            self._layout_card()

    def _choice_label_width(self, width: int) -> int:
        theme = self.ctx.theme
        return width - round(theme.font("button") * 1.6) - 3 * theme.gap

    def _stack(self, column: pygame.Rect, force: bool = False) -> list[pygame.Rect] | None:
        """Choice buttons stacked in `column`, each tall enough for its words; None if they do not fit."""
        theme, painter = self.ctx.theme, self.ctx.painter
        n, gap, size = len(self.question.choices), theme.gap, theme.font("button")
        width = self._choice_label_width(column.width)
        lines = max(len(wrap(self.ctx.t(c), width, painter.measure(size, True))) for c in self.question.choices)
        badge = round(size * 1.6)  # the letter badge keeps its size (and the letter its 1.4× in 长者模式)
        need = max(theme.min_target, lines * painter.line_height(size) + gap // 2 + 4, badge + gap)
        ch = max(need, min(round(theme.button_height * 1.5), (column.height - gap * (n - 1)) // n))
        if n * ch + gap * (n - 1) > column.height and not force:
            return None
        return [pygame.Rect(column.left, column.top + i * (ch + gap), column.width, ch) for i in range(n)]

    def _layout_card(self) -> None:
        """The feedback card: ✓/✗ heading, (the right answer,) then the explanation at full size, in parts if long."""
        theme, painter = self.ctx.theme, self.ctx.painter
        inner = self.card_rect.inflate(-2 * theme.gap, -2 * theme.gap)
        self.head_h = painter.line_height(theme.font("heading"))
        top = inner.top + self.head_h + theme.gap // 2
        self.answer_rect: pygame.Rect | None = None
        if self.full:
            body = theme.font("body")
            h = painter.wrapped_height(self._answer_line(), inner.width, body, bold=True)
            self.answer_rect = pygame.Rect(inner.left, top, inner.width, h)
            top += h + theme.gap // 2
        self.explain_rect = pygame.Rect(inner.left, top, inner.width, max(0, inner.bottom - top))
        hint_h = painter.line_height(theme.font("small"))
        self.parts = painter.pages(
            self.ctx.t(self.question.explanation),
            inner.width,
            self.explain_rect.height,
            theme.font("body"),
            reserve=hint_h,
        )
        if len(self.parts) > 1:
            self.explain_rect.height -= hint_h
            self.hint_rect = pygame.Rect(inner.left, self.explain_rect.bottom, inner.width, hint_h)
        self.part = min(self.part, len(self.parts) - 1)

    def _answer_line(self) -> str:
        q = self.question
        return self.ctx.ui(ANSWER).format(letter=LETTERS[q.answer], text=self.ctx.t(q.choices[q.answer]))

    def tap(self, name: str) -> list[Intent]:
        if name.startswith("choice:") and self.chosen is None:
            choice = int(name.split(":", 1)[1])
            self.chosen = choice
            self.part = 0
            right = choice == self.question.answer
            self.correct += right
            self.relayout()
            return [Record(EventType.QUIZ_ANSWER, {"question": self.question.id, "choice": choice, "correct": right})]
        if name == "next" and self.chosen is not None:
            if self.part + 1 < len(self.parts):
                self.part += 1  # the rest of the explanation first
                return []
            self.part = 0
            if self.index + 1 < len(self.scene.questions):
                self.index += 1
            else:
                self.finished = True
            self.chosen = None
            self.relayout()
            if self.finished:
                return [Record("quiz_score", {"correct": self.correct, "total": len(self.scene.questions)})]
            return []
        if name == "again":
            self.index, self.correct, self.finished, self.chosen, self.part = 0, 0, False, None, 0
            self.relayout()
            return []
        if name == "done":
            return [GoHome()]
        return []

    def state_key(self) -> str:
        if self.finished:
            return f"{self.scene_id}#score"
        if self.chosen is None:
            return f"{self.scene_id}#{self.index}"
        return f"{self.scene_id}#{self.index}+answered" + (f".{self.part}" if self.part else "")

    # -- drawing -----------------------------------------------------------------

    def draw(self, surface: pygame.Surface) -> None:
        if self.finished:
            self._draw_score(surface)
            return
        ctx, theme, painter = self.ctx, self.ctx.theme, self.ctx.painter
        pal = theme.palette
        q = self.question
        total = len(self.scene.questions)
        painter.draw_text(
            surface,
            ctx.ui(PROGRESS).format(n=self.index + 1, total=total),
            self.progress_rect,
            theme.font("small"),
            pal.muted,
            bold=True,
        )
        if not (self.full and self.chosen is not None):
            heading = theme.font("heading")
            full = self.prompt_rect.height >= painter.wrapped_height(
                ctx.t(q.prompt), self.prompt_rect.width, heading, bold=True
            )
            painter.draw_text(
                surface,
                ctx.t(q.prompt),
                self.prompt_rect,
                heading,
                pal.text,
                bold=True,
                min_size=heading if full else round(heading * 0.8),
            )
        if not (self.full and self.chosen is not None):
            for i, rect in enumerate(self.choice_rects):
                self._choice(surface, i, rect)
        if not (self.full and self.chosen is None):
            self._card(surface)
        if self.chosen is not None:
            last = self.index + 1 == total
            label = MORE if self.part + 1 < len(self.parts) else (SEE_SCORE if last else NEXT)
            painter.button(surface, self.next_rect, ctx.ui(label), theme, primary=True)

    def _choice(self, surface: pygame.Surface, i: int, rect: pygame.Rect) -> None:
        ctx, theme, painter = self.ctx, self.ctx.theme, self.ctx.painter
        pal = theme.palette
        answered = self.chosen is not None
        is_answer = i == self.question.answer
        fill, ink, edge = pal.surface, pal.text, pal.accent
        if answered and is_answer:
            fill, ink, edge = pal.good, pal.accent_text, pal.good
        elif answered and i == self.chosen:
            fill, ink, edge = pal.bad, pal.accent_text, pal.bad
        elif answered:
            ink, edge = pal.muted, pal.outline
        pygame.draw.rect(surface, fill, rect, border_radius=theme.radius)
        pygame.draw.rect(surface, edge, rect, theme.outline_width, theme.radius)
        side = min(rect.height - theme.gap, round(theme.font("button") * 1.6))
        badge = pygame.Rect(0, 0, side, side)
        badge.midleft = (rect.left + theme.gap, rect.centery)
        if answered and (is_answer or i == self.chosen):
            pygame.draw.circle(surface, pal.accent_text, badge.center, side // 2)
            (shapes.check if is_answer else shapes.cross)(surface, badge.inflate(-side * 0.35, -side * 0.35), fill)
        else:
            pygame.draw.circle(surface, edge, badge.center, side // 2)
            painter.draw_text(
                surface,
                LETTERS[i],
                badge,
                round(side * 0.55),
                pal.accent_text,
                bold=True,
                align="center",
                valign="middle",
            )
        label = pygame.Rect(
            badge.right + theme.gap, rect.top + 2, rect.right - badge.right - 2 * theme.gap, rect.height - 4
        )
        size = theme.font("button")
        painter.draw_text(
            surface, ctx.t(self.question.choices[i]), label, size, ink, bold=True, valign="middle", min_size=size
        )

    def _card(self, surface: pygame.Surface) -> None:
        ctx, theme, painter = self.ctx, self.ctx.theme, self.ctx.painter
        pal = theme.palette
        rect = self.card_rect
        if rect.height < theme.min_target:
            return
        q = self.question
        if self.chosen is None:
            pygame.draw.rect(surface, pal.outline, rect, max(1, theme.outline_width // 2), theme.radius * 2)
            icon = pygame.Rect(0, 0, min(rect.width, rect.height) // 3, min(rect.width, rect.height) // 3)
            icon.center = (rect.centerx, rect.centery - icon.height // 3)
            shapes.scene_icon(surface, "quiz", icon, pal.outline, pal.background)
            painter.draw_text(
                surface,
                ctx.ui(CHOOSE),
                pygame.Rect(rect.left, icon.bottom + theme.gap, rect.width, painter.line_height(theme.font("body"))),
                theme.font("body"),
                pal.muted,
                align="center",
            )
            return
        right = self.chosen == q.answer
        color = pal.good if right else pal.bad
        pygame.draw.rect(surface, pal.surface, rect, border_radius=theme.radius * 2)
        pygame.draw.rect(surface, color, rect, theme.outline_width * 2, theme.radius * 2)
        inner = rect.inflate(-2 * theme.gap, -2 * theme.gap)
        heading = theme.font("heading")
        side = self.head_h
        icon = pygame.Rect(inner.left, inner.top, side, side)
        (shapes.check if right else shapes.cross)(surface, icon, color)
        painter.draw_text(
            surface,
            ctx.ui(RIGHT if right else WRONG),
            pygame.Rect(icon.right + theme.gap // 2, inner.top, inner.width - side - theme.gap // 2, self.head_h),
            heading,
            color,
            bold=True,
            valign="middle",
        )
        body = theme.font("body")
        if self.answer_rect is not None:  # otherwise it is marked green with a tick among the choices
            painter.draw_text(surface, self._answer_line(), self.answer_rect, body, pal.good, bold=True, min_size=body)
        painter.draw_text(surface, self.parts[self.part], self.explain_rect, body, pal.text, min_size=body)
        if len(self.parts) > 1:
            small = theme.font("small")
            painter.draw_text(
                surface,
                f"{self.part + 1} / {len(self.parts)}",
                self.hint_rect,
                small,
                pal.muted,
                bold=True,
                align="right",
            )

    def _draw_score(self, surface: pygame.Surface) -> None:
        ctx, theme, painter = self.ctx, self.ctx.theme, self.ctx.painter
        pal = theme.palette
        total = len(self.scene.questions)
        inner = self.area.inflate(-2 * theme.margin, -2 * theme.margin)
        top_of_buttons = self._targets[0].rect.top - theme.gap * 2
        display = theme.font("title")
        text_h = painter.line_height(display) + painter.line_height(theme.font("body")) * 2
        star_side = max(
            theme.min_target, min(round(theme.vmin * 22), top_of_buttons - inner.top - text_h - theme.gap * 2)
        )
        stars = 3 if self.correct == total else (2 if self.correct * 2 >= total else 1)
        for k in range(3):
            rect = pygame.Rect(0, 0, star_side, star_side)
            rect.midtop = (inner.centerx + round((k - 1) * star_side * 1.15), inner.top)
            shapes.star(surface, rect, (230, 170, 0) if k < stars else pal.outline)
        y = inner.top + star_side + theme.gap
        score = ctx.ui(SCORE).format(k=self.correct, n=total)
        painter.draw_text(
            surface,
            score,
            pygame.Rect(inner.left, y, inner.width, painter.line_height(display)),
            display,
            pal.text,
            bold=True,
            align="center",
        )
        y += painter.line_height(display)
        praise = PRAISE[0 if stars == 1 else (1 if stars == 2 else 2)]
        painter.draw_text(
            surface,
            ctx.ui(praise),
            pygame.Rect(inner.left, y, inner.width, top_of_buttons - y),
            theme.font("body"),
            pal.muted,
            align="center",
        )
        for target in self._targets:
            painter.button(
                surface,
                target.rect,
                ctx.ui(AGAIN if target.name == "again" else DONE),
                theme,
                primary=target.name == "done",
            )
