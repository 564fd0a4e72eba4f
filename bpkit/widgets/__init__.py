"""Interactive ipywidgets apps for the lectures.

Import the module you need, e.g. ``from bpkit.widgets.chain_rule import ChainRuleExplorer``;
this package imports nothing heavy (matplotlib, ipywidgets) at ``import bpkit``.
"""
