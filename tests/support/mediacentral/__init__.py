"""Helpers of the MediaCentral backend tests."""
