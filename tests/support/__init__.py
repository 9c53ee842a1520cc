"""Helpers the suite shares: fixtures, HAL navigation, identities, processes, leak checks."""
