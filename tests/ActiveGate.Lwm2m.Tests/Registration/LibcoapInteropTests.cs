using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ActiveGate.Coap.Stack;
using ActiveGate.Lwm2m.ContentFormats;
using ActiveGate.Lwm2m.Model;
using ActiveGate.Lwm2m.Registration;

namespace ActiveGate.Lwm2m.Tests.Registration;

/// <summary>
/// Real peers from Debian's libcoap3-bin: coap-client-notls reads /3/0 from our client;
/// coap-rd-notls / coap-rd-openssl (DTLS-PSK) accept our Register.
/// </summary>
public sealed class LibcoapInteropTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ag-lwm2m-libcoap-" + Guid.NewGuid().ToString("N"));
    private readonly List<Process> _processes = [];

    public Task InitializeAsync() => Task.CompletedTask;

    // IAsyncLifetime rather than IAsyncDisposable: xunit 2 does not dispose test classes asynchronously,
    // and the libcoap servers started here must not outlive the test run.
    public async Task DisposeAsync()
    {
        foreach (var p in _processes)
        {
            if (!p.HasExited)
            {
                p.Kill();
                await p.WaitForExitAsync();
            }

            p.Dispose();
        }

        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, true);
        }
    }

    private static int FreeUdpPortPair()
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            using var a = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)a.Client.LocalEndPoint!).Port;
            if (port >= 65535)
            {
                continue;
            }

            try
            {
                using var b = new UdpClient(new IPEndPoint(IPAddress.Loopback, port + 1));
                return port;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException("No free port pair.");
    }

    private Process Start(string file, string arguments)
    {
        var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })
            ?? throw new InvalidOperationException(file + " did not start");
        _processes.Add(process);
        return process;
    }

    private static async Task<(int Exit, string Error)> RunAsync(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        string error = await process.StandardError.ReadToEndAsync(cts.Token);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, error);
    }

    private Lwm2mClient Client(Uri server, string? identity = null, byte[]? key = null, TimeSpan? requestTimeout = null) => new(
        new Lwm2mClientOptions
        {
            Endpoint = "urn:dev:ops:activegate-libcoap",
            ServerUri = server,
            PskIdentity = identity,
            PskKey = key ?? ReadOnlyMemory<byte>.Empty,
            WatchAddressChanges = false,
            Device = TestModel.Info,
            StateDirectory = _dir,
            RetryInitialDelay = TimeSpan.FromMilliseconds(200),
            RequestTimeout = requestTimeout,
            HandshakeTimeout = TimeSpan.FromSeconds(5),
        },
        network: new TestModel.FakeNetwork(),
        memory: new TestModel.FixedMemory());

    [Theory]
    [InlineData(Lwm2mContentFormat.SenmlJson)]
    [InlineData(Lwm2mContentFormat.Tlv)]
    [InlineData(Lwm2mContentFormat.SenmlCbor)]
    public async Task Coap_client_reads_device_object_from_our_client(ushort format)
    {
        // The client answers its server's address and port only, so libcoap reads from there: it is
        // the server here. Register waits unanswered meanwhile (first retransmission after 10 s).
        int serverPort = FreeUdpPortPair();
        await using var client = new Lwm2mClient(
            new Lwm2mClientOptions
            {
                Endpoint = "urn:dev:ops:activegate-libcoap",
                ServerUri = new Uri($"coap://127.0.0.1:{serverPort}"),
                WatchAddressChanges = false,
                Device = TestModel.Info,
                StateDirectory = _dir,
                RequestTimeout = TimeSpan.FromSeconds(60),
                TransmissionParameters = CoapTransmissionParameters.Default with { AckTimeout = TimeSpan.FromSeconds(10) },
            },
            network: new TestModel.FakeNetwork(),
            memory: new TestModel.FixedMemory());
        await client.StartAsync();
        await Lwm2mClientTests.WaitForAsync(() => client.LocalEndPoint is not null);
        int port = ((IPEndPoint)client.LocalEndPoint!).Port;
        Directory.CreateDirectory(_dir);
        string output = Path.Combine(_dir, "payload.bin");
        var (exit, error) = await RunAsync("coap-client-notls", $"-m get -A {format} -B 5 -a 127.0.0.1 -p {serverPort} -o {output} coap://127.0.0.1:{port}/3/0");
        Assert.True(exit == 0, error);
        byte[] payload = await File.ReadAllBytesAsync(output);
        var codec = new Lwm2mCodec(client.Model);
        var records = codec.Decode(format, payload, Lwm2mPath.Parse("/3/0"));
        string Text(int id) => records.Single(r => r.Path == new Lwm2mPath(3, 0, id)).Value.AsString();
        Assert.Equal("ActiveGate Labs", Text(0));
        Assert.Equal("AG-1", Text(1));
        Assert.Equal("SN-0001", Text(2));
        Assert.Equal("1.2.3", Text(3));
        Assert.Equal("UQ", Text(16));
        Assert.Equal(123456, records.Single(r => r.Path == Lwm2mPath.Parse("/3/0/10")).Value.AsInteger());
        Assert.Equal(0, records.Single(r => r.Path == Lwm2mPath.Parse("/3/0/11/0")).Value.AsInteger());
    }

    [Fact]
    public async Task Coap_rd_notls_accepts_our_Register()
    {
        int port = FreeUdpPortPair();
        Start("coap-rd-notls", $"-A 127.0.0.1 -p {port}");
        await Task.Delay(300);
        await using var client = Client(new Uri($"coap://127.0.0.1:{port}"));
        await client.StartAsync();
        await Lwm2mClientTests.WaitForAsync(() => client.Status.State == Lwm2mClientState.Registered, 20);
        Assert.StartsWith("/rd/", client.Status.Location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Coap_rd_openssl_accepts_our_Register_over_DTLS_PSK()
    {
        int port = FreeUdpPortPair();
        Start("coap-rd-openssl", $"-A 127.0.0.1 -p {port} -k secretPSK");
        await Task.Delay(300);
        await using var client = Client(new Uri($"coaps://127.0.0.1:{port + 1}"), "activegate", "secretPSK"u8.ToArray());
        await client.StartAsync();
        await Lwm2mClientTests.WaitForAsync(() => client.Status.State == Lwm2mClientState.Registered, 30);
        Assert.StartsWith("/rd/", client.Status.Location, StringComparison.Ordinal);
        Assert.DoesNotContain("secretPSK", client.Status.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_PSK_is_reported_and_never_registers()
    {
        int port = FreeUdpPortPair();
        Start("coap-rd-openssl", $"-A 127.0.0.1 -p {port} -k secretPSK");
        await Task.Delay(300);
        await using var client = Client(new Uri($"coaps://127.0.0.1:{port + 1}"), "activegate", "wrongPSK!"u8.ToArray(), TimeSpan.FromSeconds(8));
        await client.StartAsync();
        await Lwm2mClientTests.WaitForAsync(() => client.Status.Reason?.Contains("registration failed", StringComparison.Ordinal) == true, 60);
        Assert.NotEqual(Lwm2mClientState.Registered, client.Status.State);
        Assert.Contains("DTLS handshake failed", client.Status.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("wrongPSK", client.Status.Reason!, StringComparison.Ordinal);
    }
}
