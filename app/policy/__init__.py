"""Shared policy every domain calls: who the caller is, what they may see (scope), how personal data is
masked, and the permission matrix. It imports only models, so the domains form no import cycle."""
