using System.Runtime.Versioning;

// Like the agent itself, its tests run on Linux only (Unix sockets, signals, pseudo-terminals).
[assembly: SupportedOSPlatform("linux")]
