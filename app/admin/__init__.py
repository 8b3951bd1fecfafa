"""Administration: accounts, the history of their grants, and the monthly access-record review."""
