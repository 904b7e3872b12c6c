"""The school's people: classes, students, guardians, teachers, the roster CSV file and its
cells, importing it, and the steps every roster record shares.

May import `common`."""
