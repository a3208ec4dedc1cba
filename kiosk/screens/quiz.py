"""A quiz: one question at a time, immediate feedback with the explanation, a score at the end."""

from __future__ import annotations

import pygame

from content_packs.model import QuizScene
from kiosk import shapes
from kiosk.screens.base import Context, GoHome, Intent, Record, Screen, Target

PROGRESS = ("第 {n} / {total} 题", "Question {n} of {total}")
CHOOSE = ("请选择一个答案", "Choose an answer")
RIGHT = ("答对了！", "Correct!")
WRONG = ("不对哦", "Not quite")
NEXT = ("下一题 ›", "Next ›")
SEE_SCORE = ("看成绩 ›", "See score ›")
SCORE = ("你答对了 {k} / {n} 题", "You got {k} of {n} right")
PRAISE = (("再看看展项，你一定行！", "Have another look, you can do it!"), ("不错，继续加油！", "Good, keep going!"), ("太棒了，全部答对！", "Brilliant, all correct!"))
AGAIN = ("再来一次", "Try again")
DONE = ("完成", "Done")
LETTERS = "ABCD"


class QuizScreen(Screen):
    def __init__(self, ctx: Context, area: pygame.Rect, scene: QuizScene):
        self.scene = scene
        self.scene_id = scene.id
        self.index = 0
        self.chosen: int | None = None
        self.correct = 0
        self.finished = False
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
        prompt_h = min(prompt_h, round(inner.height * 0.3))
        self.prompt_rect = pygame.Rect(inner.left, self.progress_rect.bottom, inner.width, prompt_h)
        nav_w = max(theme.min_target * 2, round(theme.vmin * 30 * theme.scale))
        self.next_rect = pygame.Rect(inner.right - nav_w, inner.bottom - bh, nav_w, bh)
        body = pygame.Rect(inner.left, self.prompt_rect.bottom + theme.gap, inner.width, self.next_rect.top - theme.gap - self.prompt_rect.bottom - theme.gap)
        if theme.portrait:
            choices_h = round(body.height * 0.55)
            choices = pygame.Rect(body.left, body.top, body.width, choices_h)
            self.card_rect = pygame.Rect(body.left, choices.bottom + theme.gap * 2, body.width, body.bottom - choices.bottom - theme.gap * 2)
        else:
            choices = pygame.Rect(body.left, body.top, round(body.width * (0.48 if theme.senior else 0.54)), body.height)
            self.card_rect = pygame.Rect(choices.right + theme.margin, body.top, body.right - choices.right - theme.margin, body.height)
        n = len(self.question.choices)
        gap = theme.gap
        ch = min(round(theme.button_height * 1.5), (choices.height - gap * (n - 1)) // n)
        ch = max(ch, theme.min_target)
        self.choice_rects = [pygame.Rect(choices.left, choices.top + i * (ch + gap), choices.width, ch) for i in range(n)]
        if self.chosen is None:
            self._targets = [Target(f"choice:{i}", r) for i, r in enumerate(self.choice_rects)]
        else:
            self._targets = [Target("next", self.next_rect)]

    def tap(self, name: str) -> list[Intent]:
        if name.startswith("choice:") and self.chosen is None:
            choice = int(name.split(":", 1)[1])
            self.chosen = choice
            right = choice == self.question.answer
            self.correct += right
            self.relayout()
            return [Record("quiz_answer", {"question": self.question.id, "choice": choice, "correct": right})]
        if name == "next" and self.chosen is not None:
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
            self.index, self.correct, self.finished, self.chosen = 0, 0, False, None
            self.relayout()
            return []
        if name == "done":
            return [GoHome()]
        return []

    def state_key(self) -> str:
        if self.finished:
            return f"{self.scene_id}#score"
        return f"{self.scene_id}#{self.index}{'+answered' if self.chosen is not None else ''}"

    # -- drawing -----------------------------------------------------------------

    def draw(self, surface: pygame.Surface) -> None:
        if self.finished:
            self._draw_score(surface)
            return
        ctx, theme, painter = self.ctx, self.ctx.theme, self.ctx.painter
        pal = theme.palette
        q = self.question
        total = len(self.scene.questions)
        painter.draw_text(surface, ctx.ui(PROGRESS).format(n=self.index + 1, total=total), self.progress_rect, theme.font("small"), pal.muted, bold=True)
        painter.draw_text(surface, ctx.t(q.prompt), self.prompt_rect, theme.font("heading"), pal.text, bold=True, min_size=round(theme.font("heading") * 0.8))
        for i, rect in enumerate(self.choice_rects):
            self._choice(surface, i, rect)
        self._card(surface)
        if self.chosen is not None:
            last = self.index + 1 == total
            painter.button(surface, self.next_rect, ctx.ui(SEE_SCORE if last else NEXT), theme, primary=True)

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
            painter.draw_text(surface, LETTERS[i], badge, round(side * 0.55), pal.accent_text, bold=True, align="center", valign="middle")
        label = pygame.Rect(badge.right + theme.gap, rect.top + 2, rect.right - badge.right - 2 * theme.gap, rect.height - 4)
        painter.draw_text(surface, ctx.t(self.question.choices[i]), label, theme.font("button"), ink, bold=True, valign="middle")

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
            painter.draw_text(surface, ctx.ui(CHOOSE), pygame.Rect(rect.left, icon.bottom + theme.gap, rect.width, painter.line_height(theme.font("body"))), theme.font("body"), pal.muted, align="center")
            return
        right = self.chosen == q.answer
        color = pal.good if right else pal.bad
        pygame.draw.rect(surface, pal.surface, rect, border_radius=theme.radius * 2)
        pygame.draw.rect(surface, color, rect, theme.outline_width * 2, theme.radius * 2)
        inner = rect.inflate(-2 * theme.gap, -2 * theme.gap)
        heading = theme.font("heading")
        head_h = painter.line_height(heading)
        side = head_h
        icon = pygame.Rect(inner.left, inner.top, side, side)
        (shapes.check if right else shapes.cross)(surface, icon, color)
        painter.draw_text(surface, ctx.ui(RIGHT if right else WRONG), pygame.Rect(icon.right + theme.gap // 2, inner.top, inner.width - side - theme.gap // 2, head_h), heading, color, bold=True, valign="middle")
        y = inner.top + head_h + theme.gap // 2
        # The right answer is already marked green with a tick among the choices.
        painter.draw_text(surface, ctx.t(q.explanation), pygame.Rect(inner.left, y, inner.width, inner.bottom - y), theme.font("body"), pal.text, min_size=round(theme.font("body") * 0.8))

    def _draw_score(self, surface: pygame.Surface) -> None:
        ctx, theme, painter = self.ctx, self.ctx.theme, self.ctx.painter
        pal = theme.palette
        total = len(self.scene.questions)
        inner = self.area.inflate(-2 * theme.margin, -2 * theme.margin)
        top_of_buttons = self._targets[0].rect.top - theme.gap * 2
        display = theme.font("title")
        text_h = painter.line_height(display) + painter.line_height(theme.font("body")) * 2
        star_side = max(theme.min_target, min(round(theme.vmin * 22), top_of_buttons - inner.top - text_h - theme.gap * 2))
        stars = 3 if self.correct == total else (2 if self.correct * 2 >= total else 1)
        for k in range(3):
            rect = pygame.Rect(0, 0, star_side, star_side)
            rect.midtop = (inner.centerx + round((k - 1) * star_side * 1.15), inner.top)
            shapes.star(surface, rect, (230, 170, 0) if k < stars else pal.outline)
        y = inner.top + star_side + theme.gap
        score = ctx.ui(SCORE).format(k=self.correct, n=total)
        painter.draw_text(surface, score, pygame.Rect(inner.left, y, inner.width, painter.line_height(display)), display, pal.text, bold=True, align="center")
        y += painter.line_height(display)
        praise = PRAISE[0 if stars == 1 else (1 if stars == 2 else 2)]
        painter.draw_text(surface, ctx.ui(praise), pygame.Rect(inner.left, y, inner.width, top_of_buttons - y), theme.font("body"), pal.muted, align="center")
        for target in self._targets:
            painter.button(surface, target.rect, ctx.ui(AGAIN if target.name == "again" else DONE), theme, primary=target.name == "done")
