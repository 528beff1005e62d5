"""The models and data adapters the chapter declarations name: one module per chapter
module of ``dlwp_suite.experiments`` (same stem) holding its model builders, loaders,
input adapters and fine-tuning steps, and ``blocks``, the building blocks they share.

Nothing here imports the declarations: a declaration refers to these functions, never
the other way round.
"""
