"""One module per assignment (aNN.py) registering its graded exercises."""
