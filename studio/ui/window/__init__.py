"""The studio's main window, as rooms: ``window`` (the MainWindow that wires them), ``pages`` (page table
and slots), ``status`` (jobs in the status bar), ``menus``, ``drops``, ``dialogs`` (help, about,
settings, theme), ``startup`` (welcome, resume, session restore), ``adopt`` (pages joining the window),
``recent`` (Open recent), ``session`` (the working session on disk), ``wheel`` (wheel guard) and
``platform_libs`` (missing Qt system libraries). Nothing is imported here, so ``platform_libs`` can be
used before Qt is set up."""
