//! Test and example fixtures shared by the workspace (not published).
