"""Synthesis: the export of answers and the figures the synthesis team reads."""
