using System.Net;
using System.Text;
using ActiveGate.Coap.Transport.Dtls;
using ActiveGate.Coap.Transport;
using ActiveGate.TestKit.Peers;

namespace ActiveGate.Coap.Tests.Transport.Dtls;

/// <summary>
/// The DTLS-PSK transports against libcoap's OpenSSL tools (Debian libcoap3-bin), a peer none of
/// us wrote. CoAP messages are hand-encoded so only the transport is under test.
/// </summary>
public sealed class DtlsPskLibcoapInteropTests
{
    private const string Identity = "activegate-test";
    private const string Key = "secretPSK-0123";
    private static readonly TimeSpan s_receiveTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Client_gets_a_resource_from_coap_server_openssl()
    {
        const DtlsPskCipherSuite suite = DtlsPskCipherSuite.TlsPskWithAes128Ccm8;
        int port = LibcoapProcess.FreePortPair();
        await using LibcoapProcess server = LibcoapProcess.Start("coap-server-openssl", "-A", "127.0.0.1", "-p", port.ToString(), "-k", Key);
        await LibcoapProcess.WaitForUdpPortAsync(port + 1, TimeSpan.FromSeconds(5));
        var logger = new CapturingLogger();
        await using var client = new DtlsPskClientTransport(ClientOptions(Key, suite), logger);
        var remote = new IPEndPoint(IPAddress.Loopback, port + 1);

        byte[] request = CoapBytes.ConGet(0x1234, 0xABCD, "");
        await client.SendAsync(request, remote, CancellationToken.None);
        byte[] response = await ReceiveAsync(client);

        Assert.Equal(0x60, response[0] & 0xF0); // ACK
        Assert.Equal(0x45, response[1]); // 2.05 Content
        Assert.Equal(request[2..6], response[2..6]); // message id and token echoed
        Assert.Contains("This is a test server made with libcoap", CoapBytes.Payload(response), StringComparison.Ordinal);
        Assert.True(client.IsConnected(remote));
        Assert.Contains(suite.ToString(), logger.All, StringComparison.Ordinal);
        Assert.Equal(1, client.HandshakesSucceeded);
    }

    [Theory]
    [InlineData(DtlsPskCipherSuite.TlsPskWithAes128Ccm8, "AES128-CCM8")]
    [InlineData(DtlsPskCipherSuite.TlsPskWithAes128CbcSha256, "AES128-CBC-SHA256")]
    public async Task Coap_client_openssl_gets_a_resource_from_our_server(DtlsPskCipherSuite suite, string _)
    {
        var logger = new CapturingLogger();
        var options = DtlsPskServerOptions.ForSingleCredential(new PskCredential(Identity, Encoding.ASCII.GetBytes(Key)));
        options.LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0);
        options.CipherSuites = [suite];
        await using var server = new DtlsPskServerTransport(options, logger);
        int port = ((IPEndPoint)server.LocalEndPoint).Port;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Task responder = RespondAsync(server, "hello over DTLS", cts.Token);

        (int exitCode, string output) = await LibcoapProcess.RunAsync(TimeSpan.FromSeconds(15),
            "coap-client-openssl", "-B", "5", "-u", Identity, "-k", Key, "-m", "get", $"coaps://127.0.0.1:{port}/greeting");

        await cts.CancelAsync();
        await responder;
        Assert.True(exitCode == 0, $"coap-client-openssl exited {exitCode}: {output}\n{logger.All}");
        Assert.Contains("hello over DTLS", output, StringComparison.Ordinal);
        Assert.Equal(1, server.HandshakesSucceeded);
        Assert.Contains($"identity '{Identity}'", logger.All, StringComparison.Ordinal);
        Assert.Contains(suite.ToString(), logger.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_offering_only_CBC_is_refused_by_coap_server_openssl_with_handshake_failure()
    {
        // libcoap 4.3.1's OpenSSL server does not enable PSK-AES128-CBC-SHA256 (its log says "no shared
        // cipher"); the suite is interop-tested the other way round, against coap-client-openssl.
        int port = LibcoapProcess.FreePortPair();
        await using LibcoapProcess server = LibcoapProcess.Start("coap-server-openssl", "-A", "127.0.0.1", "-p", port.ToString(), "-k", Key);
        await LibcoapProcess.WaitForUdpPortAsync(port + 1, TimeSpan.FromSeconds(5));
        await using var client = new DtlsPskClientTransport(ClientOptions(Key, DtlsPskCipherSuite.TlsPskWithAes128CbcSha256));

        var failure = await Assert.ThrowsAsync<DtlsHandshakeException>(() => client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port + 1), CancellationToken.None));

        Assert.Equal(DtlsFailureReason.AlertReceived, failure.Reason);
        Assert.Equal(40, failure.AlertDescription); // handshake_failure
    }

    [Fact]
    public async Task Client_with_a_wrong_key_fails_cleanly_within_the_handshake_timeout()
    {
        int port = LibcoapProcess.FreePortPair();
        await using LibcoapProcess server = LibcoapProcess.Start("coap-server-openssl", "-A", "127.0.0.1", "-p", port.ToString(), "-k", Key);
        await LibcoapProcess.WaitForUdpPortAsync(port + 1, TimeSpan.FromSeconds(5));
        var logger = new CapturingLogger();
        const string wrongKey = "not-the-key-42";
        DtlsPskClientOptions options = ClientOptions(wrongKey);
        options.HandshakeTimeout = TimeSpan.FromSeconds(4);
        await using var client = new DtlsPskClientTransport(options, logger);
        var remote = new IPEndPoint(IPAddress.Loopback, port + 1);

        var started = DateTime.UtcNow;
        var failure = await Assert.ThrowsAsync<DtlsHandshakeException>(() => client.ConnectAsync(remote, CancellationToken.None));

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(8), "the failure must not hang");
        // OpenSSL silently drops our undecryptable Finished (RFC 6347 §4.1.2.7), so from the client's
        // side a wrong key looks like silence: the handshake timeout ends it, never a hang.
        Assert.Equal(DtlsFailureReason.HandshakeTimeout, failure.Reason);
        Assert.Equal(remote, failure.Remote);
        Assert.False(client.IsConnected(remote));
        Assert.Equal(1, client.HandshakesFailed);
        AssertNoKey(wrongKey, logger.All + failure);
    }

    [Fact]
    public async Task Coap_client_openssl_with_a_wrong_key_is_refused_as_key_mismatch()
    {
        var logger = new CapturingLogger();
        var options = DtlsPskServerOptions.ForSingleCredential(new PskCredential(Identity, Encoding.ASCII.GetBytes(Key)));
        options.LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0);
        await using var server = new DtlsPskServerTransport(options, logger);
        int port = ((IPEndPoint)server.LocalEndPoint).Port;

        (int exitCode, string output) = await LibcoapProcess.RunAsync(TimeSpan.FromSeconds(20),
            "coap-client-openssl", "-B", "6", "-u", Identity, "-k", "wrong-key-9876", "-m", "get", $"coaps://127.0.0.1:{port}/x");

        Assert.DoesNotContain("2.05", output, StringComparison.Ordinal);
        await WaitUntilAsync(() => server.HandshakesFailed == 1, TimeSpan.FromSeconds(10));
        Assert.Equal(0, server.HandshakesSucceeded);
        Assert.Equal(0, server.SessionCount);
        Assert.Contains("KeyMismatch", logger.All, StringComparison.Ordinal);
        AssertNoKey(Key, logger.All);
        _ = exitCode;
    }

    [Fact]
    public async Task Unknown_identity_is_refused_with_an_alert()
    {
        var logger = new CapturingLogger();
        var options = DtlsPskServerOptions.ForSingleCredential(new PskCredential(Identity, Encoding.ASCII.GetBytes(Key)));
        options.LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0);
        await using var server = new DtlsPskServerTransport(options, logger);
        int port = ((IPEndPoint)server.LocalEndPoint).Port;

        (_, string output) = await LibcoapProcess.RunAsync(TimeSpan.FromSeconds(20),
            "coap-client-openssl", "-B", "4", "-u", "somebody-else", "-k", Key, "-m", "get", $"coaps://127.0.0.1:{port}/x");

        await WaitUntilAsync(() => server.HandshakesFailed == 1, TimeSpan.FromSeconds(5));
        Assert.Contains("UnknownIdentity", logger.All, StringComparison.Ordinal);
        Assert.Contains("somebody-else", logger.All, StringComparison.Ordinal);
        Assert.DoesNotContain("2.05", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_rehandshakes_after_coap_server_openssl_restarts()
    {
        int port = LibcoapProcess.FreePortPair();
        var remote = new IPEndPoint(IPAddress.Loopback, port + 1);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var logger = new CapturingLogger();
        await using var client = new DtlsPskClientTransport(ClientOptions(Key), logger, time);

        await using (LibcoapProcess first = LibcoapProcess.Start("coap-server-openssl", "-A", "127.0.0.1", "-p", port.ToString(), "-k", Key))
        {
            await LibcoapProcess.WaitForUdpPortAsync(port + 1, TimeSpan.FromSeconds(5));
            await client.SendAsync(CoapBytes.ConGet(1, 1, ""), remote, CancellationToken.None);
            Assert.Equal(0x45, (await ReceiveAsync(client))[1]);
        }

        await using LibcoapProcess second = LibcoapProcess.Start("coap-server-openssl", "-A", "127.0.0.1", "-p", port.ToString(), "-k", Key);
        await LibcoapProcess.WaitForUdpPortAsync(port + 1, TimeSpan.FromSeconds(5));

        // The restarted server knows nothing of our session: our records go unanswered (CoAP would
        // retransmit the CON). Once silence exceeds PeerSilenceTimeout the next send re-handshakes.
        await client.SendAsync(CoapBytes.ConGet(2, 2, ""), remote, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(2));
        await client.SendAsync(CoapBytes.ConGet(2, 2, ""), remote, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(10));
        await client.SendAsync(CoapBytes.ConGet(2, 2, ""), remote, CancellationToken.None);

        byte[] response = await ReceiveAsync(client);
        Assert.Equal(0x45, response[1]);
        Assert.Equal(new byte[] { 0, 2 }, response[2..4]);
        Assert.Equal(2, client.HandshakesSucceeded);
        Assert.Contains("re-handshaking", logger.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Idle_client_resumes_its_session_with_coap_server_openssl()
    {
        int port = LibcoapProcess.FreePortPair();
        await using LibcoapProcess server = LibcoapProcess.Start("coap-server-openssl", "-A", "127.0.0.1", "-p", port.ToString(), "-k", Key);
        await LibcoapProcess.WaitForUdpPortAsync(port + 1, TimeSpan.FromSeconds(5));
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        DtlsPskClientOptions options = ClientOptions(Key);
        options.ResumeAfterIdle = TimeSpan.FromMinutes(5);
        await using var client = new DtlsPskClientTransport(options, timeProvider: time);
        var remote = new IPEndPoint(IPAddress.Loopback, port + 1);
        await client.SendAsync(CoapBytes.ConGet(1, 1, ""), remote, CancellationToken.None);
        Assert.Equal(0x45, (await ReceiveAsync(client))[1]);

        time.Advance(TimeSpan.FromMinutes(6));
        await client.SendAsync(CoapBytes.ConGet(2, 2, ""), remote, CancellationToken.None);

        byte[] response = await ReceiveAsync(client);
        Assert.Equal(0x45, response[1]);
        Assert.Equal(new byte[] { 0, 2 }, response[2..4]);
        Assert.Equal(2, client.HandshakesSucceeded);
        Assert.Equal(1, client.HandshakesResumed); // OpenSSL accepted the abbreviated handshake
    }

    internal static DtlsPskClientOptions ClientOptions(string key, DtlsPskCipherSuite? suite = null)
    {
        var options = new DtlsPskClientOptions
        {
            Credential = new PskCredential(Identity, Encoding.ASCII.GetBytes(key)),
            LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            HandshakeTimeout = TimeSpan.FromSeconds(10),
        };
        if (suite is { } only)
        {
            options.CipherSuites = [only];
        }

        return options;
    }

    internal static async Task<byte[]> ReceiveAsync(IDatagramTransport transport)
    {
        using var cts = new CancellationTokenSource(s_receiveTimeout);
        byte[] buffer = new byte[2048];
        DatagramReceiveResult result = await transport.ReceiveAsync(buffer, cts.Token);
        return buffer[..result.Length];
    }

    internal static async Task RespondAsync(IDatagramTransport server, string payload, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[2048];
        try
        {
            while (true)
            {
                DatagramReceiveResult request = await server.ReceiveAsync(buffer, cancellationToken);
                // Answer CON requests only (libcoap may also send empty ACKs/RSTs).
                if ((buffer[0] & 0x30) == 0x00 && buffer[1] != 0)
                {
                    await server.SendAsync(CoapBytes.AckContent(buffer.AsSpan(0, request.Length), payload), request.Remote, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(20);
        }
    }

    internal static void AssertNoKey(string key, string text)
    {
        Assert.DoesNotContain(key, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(Encoding.ASCII.GetBytes(key)), text, StringComparison.OrdinalIgnoreCase);
    }
}
