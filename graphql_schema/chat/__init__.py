"""Chat: conversations, messages, read receipts (issue 7)."""
