"""Campaigns, journeys, offers and attribution: arrive with the campaigns issues."""
