"""Sample plugins that live outside `broen/` (as a stranger's would) and the tests that use them."""
