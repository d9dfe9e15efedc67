"""Typed field editors: text/number inputs, switches, choices and notes.

Each editor edits one :class:`~greenmark.tui.session.Target` through a controller
(the screen), synchronously, so an edit is never lost in a message queue:

* as you type, a valid value is *previewed* (scores update, nothing stored) and an
  invalid one is shown in red with the reason;
* on Enter or when the field loses focus, the value is *committed* (validated again,
  stored, recorded, autosaved) or, if invalid, refused with a message and the field
  goes back to the stored value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Input, Select, Static, Switch, TextArea

from greenmark.tui.session import Target
from greenmark.tui.values import Refused, edit_text


class Controller(Protocol):
    """What an editor needs from its screen."""

    def preview(self, target: Target, value: Any) -> str | None:
        """Show scores with ``value`` (not stored); return a refusal message or None."""

    def cancel_preview(self) -> None:
        """Show the stored state again."""

    def commit(self, target: Target, value: Any) -> str | None:
        """Store ``value``; return a refusal message or None."""


class _ParseValidator(Validator):
    def __init__(self, parse: Callable[[str], Any]) -> None:
        super().__init__()
        self.parse = parse

    def validate(self, value: str) -> ValidationResult:
        try:
            self.parse(value)
        except Refused as exc:
            return self.failure(str(exc))
        return self.success()


class FieldInput(Input):
    """An input whose typing repaints the field only.

    Textual's Input re-computes its virtual size on every change of text length, which
    lays the whole screen out again (tens of ms on a full screen). The field's size is
    fixed by CSS, so the new virtual size is set quietly before the stock handler runs.
    """

    def _watch_value(self, value: str) -> None:
        self.set_reactive(Widget.virtual_size, Size(self.content_width, 1))
        super()._watch_value(value)


class Editor(Vertical):
    """Base: a label line, the control, and a message line."""

    DEFAULT_CSS = """
    Editor { height: auto; margin: 0 0 1 0; }
    Editor > .editor--label { height: auto; color: $text-muted; }
    Editor > .editor--message { height: auto; color: $text-error; display: none; }
    Editor.-note > .editor--message { display: block; color: $text-muted; }
    Editor.-error > .editor--message { display: block; color: $text-error; }
    Editor > Horizontal { height: auto; }
    Editor > Horizontal > Input { width: 1fr; }
    Editor .editor--unit { width: auto; padding: 0 0 0 1; color: $text-muted; }
    """

    def __init__(
        self,
        controller: Controller,
        target: Target,
        label: str,
        value: Any,
        *,
        unit: str = "",
        hint: str = "",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="editor")
        self.controller = controller
        self.target = target
        self.label = label
        self.unit = unit
        self.hint = hint
        self.stored = value

    def on_mount(self) -> None:
        if not getattr(self.app, "blink", True):  # steady cursors (snapshot tests)
            for widget in self.query("Input, TextArea"):
                widget.cursor_blink = False  # type: ignore[attr-defined]

    def label_text(self) -> Text:
        text = Text(self.label, "bold")
        if self.hint:
            text.append(f"  {self.hint}", "dim")
        return text

    def show_error(self, message: str) -> None:
        self.query_one(".editor--message", Static).update(f"✘ {message}")
        self.remove_class("-note")
        self.add_class("-error")

    def show_note(self, text: str) -> None:
        """A muted line under the field, e.g. a value typed in another unit, converted."""
        if not self.is_mounted or self.has_class("-error"):
            return
        if text:
            self.query_one(".editor--message", Static).update(text)
        self.set_class(bool(text), "-note")

    def clear_error(self) -> None:
        self.remove_class("-error")

    @property
    def pending(self) -> bool:
        return False

    def flush(self) -> None:
        """Commit (or refuse) whatever is typed but not yet stored."""

    def reload(self, value: Any) -> None:
        """Show ``value`` as the stored value, without posting change events."""
        self.stored = value

    def refuse(self, message: str) -> None:
        """Tell the assessor the value was not stored, and show the stored one again."""
        self.app.notify(
            f"{self.label}: {message}. Kept {self.stored_text() or 'not given'}.",
            title="Refused",
            severity="error",
        )
        self.reload(self.stored)
        self.clear_error()
        self.controller.cancel_preview()

    def stored_text(self) -> str:
        return edit_text(self.stored)

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self.flush()


class TextEditor(Editor):
    """A one-line input; ``parse`` turns the text into the value to store (or refuses)."""

    def __init__(
        self,
        controller: Controller,
        target: Target,
        label: str,
        value: Any,
        parse: Callable[[str], Any],
        *,
        to_text: Callable[[Any], str] = edit_text,
        placeholder: str = "",
        live: bool = True,
        note: Callable[[Any], str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(controller, target, label, value, **kwargs)
        self.parse = parse
        self.to_text = to_text
        self.placeholder = placeholder
        self.live = live
        self.note = note  # the line under the field for a value (e.g. "8,611 ft² (800 m²)")

    def _note(self, value: Any) -> None:
        self.show_note(self.note(value) if self.note is not None else "")

    def compose(self) -> ComposeResult:
        yield Static(self.label_text(), classes="editor--label")
        with Horizontal():
            yield FieldInput(
                self.to_text(self.stored),
                placeholder=self.placeholder,
                validators=[_ParseValidator(self.parse)],
                validate_on=["changed", "submitted"],
                compact=True,
                select_on_focus=False,
            )
            if self.unit:
                yield Static(self.unit, classes="editor--unit")
        yield Static("", classes="editor--message")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    def stored_text(self) -> str:
        return self.to_text(self.stored)

    @property
    def pending(self) -> bool:
        return self.input.value != self.to_text(self.stored)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if not self.pending:
            self.clear_error()
            self._note(self.stored)
            self.controller.cancel_preview()
            return
        try:
            value = self.parse(event.value)
        except Refused as exc:
            self.show_error(str(exc))
            self.controller.cancel_preview()
            return
        message = self.controller.preview(self.target, value) if self.live else None
        if message:
            self.show_error(message)
        else:
            self.clear_error()
            self._note(value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        # The value at the moment Enter was pressed: keys typed after it may already
        # have changed the field by the time this message is handled.
        self.flush(event.value)

    def flush(self, text: str | None = None) -> None:
        if not self.is_mounted:
            return
        text = self.input.value if text is None else text
        if text == self.to_text(self.stored):
            return
        try:
            value = self.parse(text)
        except Refused as exc:
            self.refuse(str(exc))
            return
        message = self.controller.commit(self.target, value)
        if message:
            self.refuse(message)
            return
        self.stored = value
        self.clear_error()
        self._note(value)

    def reload(self, value: Any) -> None:
        self.stored = value
        if self.is_mounted:
            with self.input.prevent(Input.Changed):
                self.input.value = self.to_text(value)
            self.clear_error()
            self._note(value)


class BoolEditor(Editor):
    """A switch for a yes/no value; Delete clears it back to "not given"."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("delete,backspace", "clear", "Clear value (not given)")
    ]

    def __init__(self, *args: Any, nullable: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nullable = nullable

    def compose(self) -> ComposeResult:
        yield Static(self.label_text(), classes="editor--label")
        with Horizontal():
            yield Switch(bool(self.stored))
            yield Static(self._state_text(), classes="editor--unit")
        yield Static("", classes="editor--message")

    def _state_text(self) -> Text:
        if self.stored is None:
            return Text("not given", "italic magenta")
        return Text("yes" if self.stored else "no")

    def on_switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        self._commit(bool(event.value))

    def action_clear(self) -> None:
        if self.nullable:
            self._commit(None)

    def _commit(self, value: bool | None) -> None:
        message = self.controller.commit(self.target, value)
        if message:
            self.refuse(message)
            return
        self.reload(value)

    def reload(self, value: Any) -> None:
        self.stored = value
        if self.is_mounted:
            switch = self.query_one(Switch)
            with switch.prevent(Switch.Changed):
                switch.value = bool(value)
            self.query(".editor--unit").first(Static).update(self._state_text())


class ChoiceEditor(Editor):
    """A drop-down of options; with ``nullable``, a blank entry means "not given"."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("delete,backspace", "clear", "Clear value (not given)")
    ]

    def __init__(
        self,
        *args: Any,
        options: list[tuple[str, str]],
        nullable: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.options = options
        self.nullable = nullable

    def compose(self) -> ComposeResult:
        yield Static(self.label_text(), classes="editor--label")
        value = self.stored if self.stored is not None else Select.NULL
        yield Select(
            self.options,
            value=value,
            allow_blank=self.nullable,
            prompt="not given",
            compact=True,
        )
        yield Static("", classes="editor--message")

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        value = None if event.value is Select.NULL else event.value
        if value == self.stored:
            return
        message = self.controller.commit(self.target, value)
        if message:
            self.refuse(message)
            return
        self.stored = value

    def action_clear(self) -> None:
        if self.nullable and self.stored is not None:
            self.query_one(Select).clear()

    def reload(self, value: Any) -> None:
        self.stored = value
        if self.is_mounted:
            select = self.query_one(Select)
            with select.prevent(Select.Changed):
                select.value = value if value is not None else Select.NULL


class NoteEditor(Editor):
    """Free text over a few lines (answer, notes; evidence one reference per line)."""

    def __init__(
        self,
        *args: Any,
        to_value: Callable[[str], Any] = str.strip,
        to_text: Callable[[Any], str] = str,
        height: int = 3,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.to_value = to_value
        self.to_text = to_text
        self.lines = height

    def compose(self) -> ComposeResult:
        yield Static(self.label_text(), classes="editor--label")
        area = TextArea(self.to_text(self.stored), compact=True, soft_wrap=True)
        area.styles.height = self.lines
        yield area
        yield Static("", classes="editor--message")

    @property
    def area(self) -> TextArea:
        return self.query_one(TextArea)

    @property
    def pending(self) -> bool:
        return self.to_value(self.area.text) != self.stored

    def stored_text(self) -> str:
        return self.to_text(self.stored)

    def flush(self) -> None:
        if not self.is_mounted or not self.pending:
            return
        value = self.to_value(self.area.text)
        message = self.controller.commit(self.target, value)
        if message:
            self.refuse(message)
            return
        self.stored = value

    def reload(self, value: Any) -> None:
        self.stored = value
        if self.is_mounted:
            with self.area.prevent(TextArea.Changed):
                self.area.text = self.to_text(value)
