"""A transparent rule-based reference system for all five layers (`communique baseline`).

Its knowledge is in the data files of ``baseline/lexicons/`` (see the README there); every
label it writes comes from ``schemas/communique.yaml``.
"""
