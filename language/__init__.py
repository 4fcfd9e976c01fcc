"""The offline readers: what customers, suppliers and owners mean by their words.

Pure functions of the text and of what the caller passes in (an order's items, the store's
settings); nothing here opens a database, a policy file or a network connection, and nothing
imports the rest of the application (``ledger``, ``graph``, ``bot``, ``tools``).

- ``language.lexicon``: the word knowledge the readers share (numbers, units, amounts, reason
  codes, yes and no).
- ``language.customer``: customer chat messages (intents, order, e-mail, items, quantities,
  reasons, resolutions).
- ``language.supplier``: a supplier's reply in a case thread (decision, RMA, address,
  conditions).
- ``language.rules``: an owner's rule in plain words, compiled to a ``RuleSpec``.

The model-backed readers (``graph/supplier_reader_llm.py``, ``graph/rule_compiler_llm.py``)
stay in ``graph/``: they call a model over the network with the settings of the running
service (``graph.llm``), log, and fall back to the readers here, which keep the contract.
"""
