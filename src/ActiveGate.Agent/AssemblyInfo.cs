using System.Runtime.Versioning;

// The agent is a Linux daemon (systemd, Unix sockets, serial devices); the libraries stay portable.
[assembly: SupportedOSPlatform("linux")]
