"""Live updates: subscriptions over the GraphQL WebSocket."""
