"""An owner's rule in plain words, compiled offline to a ``policies.rules.RuleSpec``.

``compiler.compile_rule(text, store)`` reads it or raises ``entities.RuleNotUnderstood`` saying
why. The parts: ``normalising`` (the text before entities), ``entities`` (the parse state and
the placeholders for amounts, durations, reasons, countries and suppliers), ``patterns``
(triggers, conditions, actions), ``vocabulary`` (the owners' words) and ``compiler`` (putting
them together). The store is passed in; nothing here reads a file or a database.
"""
