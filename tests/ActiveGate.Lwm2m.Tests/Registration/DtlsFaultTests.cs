using System.Net;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Transport.Dtls;
using ActiveGate.Lwm2m.Registration;

namespace ActiveGate.Lwm2m.Tests.Registration;

/// <summary>DTLS-PSK against our own DTLS server transport: a server restart loses the session and the client registers again.</summary>
public sealed class DtlsFaultTests
{
    private static readonly byte[] s_identity = "gw-dtls"u8.ToArray();
    private static readonly byte[] s_key = "0123456789abcdef"u8.ToArray();

    private static ScriptedLwm2mServer StartServer(int port) =>
        new(new DtlsPskServerTransport(new DtlsPskServerOptions
        {
            LocalEndPoint = new IPEndPoint(IPAddress.Loopback, port),
            KeyProvider = identity => identity.SequenceEqual(s_identity) ? (byte[])s_key.Clone() : null,
        }), new Uri($"coaps://127.0.0.1:{port}"));

    [Fact]
    public async Task Server_restart_loses_the_DTLS_session_and_the_client_registers_again()
    {
        int port;
        using (var probe = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        var server = StartServer(port);
        await using var client = new Lwm2mClient(
            new Lwm2mClientOptions
            {
                Endpoint = "urn:dev:dtls",
                ServerUri = server.Uri,
                PskIdentity = "gw-dtls",
                PskKey = "0123456789abcdef"u8.ToArray(),
                WatchAddressChanges = false,
                Device = TestModel.Info,
                HandshakeTimeout = TimeSpan.FromSeconds(10),
                RetryInitialDelay = TimeSpan.FromMilliseconds(200),
            },
            network: new TestModel.FakeNetwork(),
            memory: new TestModel.FixedMemory());
        await client.StartAsync();
        await server.NextAsync("register");
        await Lwm2mClientTests.WaitForAsync(() => client.Status.State == Lwm2mClientState.Registered);
        Assert.Equal("1.2.3", (await server.SendAsync(CoapCode.Get, "/3/0/3")).PayloadAsString);

        await server.DisposeAsync();
        server = StartServer(port);   // same address, no sessions, no registrations
        try
        {
            client.RequestUpdate();
            var register = await server.NextAsync("register", TimeSpan.FromSeconds(40));
            Assert.Contains("ep=urn:dev:dtls", register.Query);
            await Lwm2mClientTests.WaitForAsync(() => client.Status.State == Lwm2mClientState.Registered && client.Status.Registrations == 2, 20);
            Assert.Equal("1.2.3", (await server.SendAsync(CoapCode.Get, "/3/0/3")).PayloadAsString);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
