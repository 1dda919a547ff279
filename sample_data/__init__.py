"""Small real-format sample files with planted episodes, and the generator that made them."""

from pathlib import Path

#: The committed sample study: one folder per athlete plus athletes.csv.
STUDY_DIR = Path(__file__).parent / "study"
