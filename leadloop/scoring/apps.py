from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "leadloop.scoring"
    label = "scoring"
    verbose_name = "Scoring"
