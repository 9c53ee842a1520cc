"""Helpers of the Azure backend tests."""
