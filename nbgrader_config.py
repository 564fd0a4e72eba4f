"""nbgrader configuration for the bpkit course (one file, predictable folders)."""
c = get_config()  # noqa: F821  (injected by traitlets)

c.CourseDirectory.root = "."
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
