"""nbgrader configuration for the bpkit course (one file, predictable folders)."""
import os

c = get_config()  # noqa: F821  (injected by traitlets)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
c.CourseDirectory.course_id = "bpkit"
# a looping student function must not hold the class hostage
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True

# feedback must not show hidden tests or traceback lines (bpkit_instructor/course/feedback.py)
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

from bpkit_instructor.course.feedback import HideHiddenTests  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]

# recorded answers (bpkit/grading/check.py) never travel with a release or a submission
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".bpkit-*"]
