from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "leadloop.imports"
    label = "imports"
    verbose_name = "Imports"
