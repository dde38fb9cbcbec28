using System.CommandLine;

namespace ActiveGate.Agent.Cli;

/// <summary>The <c>activegate</c> command line: the daemon, and the tools that talk to it or to devices.</summary>
internal static class CliRoot
{
    public static RootCommand Build()
    {
        var root = new RootCommand("ActiveGate: the gateway agent between a 6LoWPAN mesh of energy devices and the cloud")
        {
            AgentQuery.SocketOption,
        };
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(RadioCommands.CreateRadio());
        root.Subcommands.Add(RadioCommands.CreateCapture());
        root.Subcommands.Add(PcapCommand.Create());
        root.Subcommands.Add(MeshCommands.CreateMesh());
        root.Subcommands.Add(MeshCommands.CreatePing());
        root.Subcommands.Add(MeshCommands.CreateRoutes());
        root.Subcommands.Add(Coap.CoapCommand.Create());
        root.Subcommands.Add(DeviceCommands.CreateDevices());
        root.Subcommands.Add(DeviceCommands.CreateDevice());
        root.Subcommands.Add(DeviceCommands.CreateSwitch());
        root.Subcommands.Add(ProxyCommands.CreateOutbox());
        root.Subcommands.Add(ProxyCommands.CreateUpstream());
        root.Subcommands.Add(Lwm2mCommand.Create());
        return root;
    }
}
