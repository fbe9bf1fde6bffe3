// Start Det Fælles Designsystem's components (menus, accordions, error summaries).
if (window.DKFDS) { window.DKFDS.init(); }
