"""Helpers of the Flex backend tests."""
