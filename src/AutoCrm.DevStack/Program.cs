// The command-line entry point is filled in by the DevStack host work; see DevStackServer.
return 0;
