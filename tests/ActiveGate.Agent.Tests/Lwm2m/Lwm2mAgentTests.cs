using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace ActiveGate.Agent.Tests.Lwm2m;

/// <summary>The agent as a whole registers with a real resource directory (libcoap's coap-rd) and serves /3/0.</summary>
public sealed class Lwm2mAgentTests
{
    [Fact]
    public async Task Agent_registers_with_libcoap_rd_and_reports_it_in_the_cli()
    {
        int port = FreeUdpPort();
        using Process rd = Process.Start(new ProcessStartInfo("coap-rd-notls", $"-A 127.0.0.1 -p {port}") { RedirectStandardOutput = true, RedirectStandardError = true })!;
        try
        {
            string directory = AgentProcess.NewScratchDirectory();
            await using AgentProcess agent = AgentProcess.Start(["run"], new Dictionary<string, string>
            {
                ["ACTIVEGATE__Radio__Mode"] = "None",
                ["ACTIVEGATE__Lwm2m__ServerUri"] = $"coap://127.0.0.1:{port}",
                ["ACTIVEGATE__Lwm2m__Endpoint"] = "activegate-test-1",
            }, directory);
            await agent.WaitForSocketAsync(TimeSpan.FromSeconds(30));

            JsonElement status = default;
            var stopwatch = Stopwatch.StartNew();
            while (stopwatch.Elapsed < TimeSpan.FromSeconds(30))
            {
                (int exitCode, string output) = await AgentProcess.RunToEndAsync(["lwm2m", "--json"], directory);
                Assert.Equal(0, exitCode);
                status = JsonDocument.Parse(output).RootElement.Clone();
                if (status.GetProperty("state").GetString() == "registered")
                {
                    break;
                }

                await Task.Delay(200);
            }

            Assert.Equal("registered", status.GetProperty("state").GetString());
            Assert.Equal("activegate-test-1", status.GetProperty("endpoint").GetString());
            Assert.StartsWith("/rd/", status.GetProperty("location").GetString(), StringComparison.Ordinal);

            // The resource directory lists us under our endpoint name.
            using Process lookup = Process.Start(new ProcessStartInfo("coap-client-notls", $"-m get coap://127.0.0.1:{port}/.well-known/core") { RedirectStandardOutput = true })!;
            string links = await lookup.StandardOutput.ReadToEndAsync();
            await lookup.WaitForExitAsync();
            Assert.Contains(status.GetProperty("location").GetString()!, links, StringComparison.Ordinal);
        }
        finally
        {
            rd.Kill();
            await rd.WaitForExitAsync();
        }
    }

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
