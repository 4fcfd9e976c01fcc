"""A supplier's reply in a case thread, read offline.

``reader.read_supplier_reply(text, expecting)`` gives a :class:`reader.SupplierReading` (the
decision, RMA, return address and conditions); ``reply.read_supplier_reply(text, stage)`` is
the same reading as plain data, the measuring point of the language corpus.
"""
