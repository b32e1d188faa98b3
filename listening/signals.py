"""The one signal `listening` sends upward.

`mentions_received(sender=None, mention_ids=[...])` fires after the transaction
that stored new mentions has committed, with the ids of the rows that were new
(duplicates absorbed by the unique constraint are not in it). `inbox` connects
to it in its AppConfig.ready(); `listening` never imports the parts above it.
"""

from django.dispatch import Signal

mentions_received = Signal()
