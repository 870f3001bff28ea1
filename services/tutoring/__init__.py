"""The tutors' side: course assignments, actions on flags, the worklist, learner contacts, nudges and
their effect, digests."""
