using System.Text.Json;
using System.Text;
using ActiveGate.Agent.Cli.Coap;
using ActiveGate.Agent.Cli;
using ActiveGate.TestKit.Peers;

namespace ActiveGate.Agent.Tests.Cli.Coap;

/// <summary>
/// <c>activegate coap</c> end to end against libcoap's tools (Debian libcoap3-bin) on loopback:
/// libcoap clients against <c>coap serve</c>, our client commands against libcoap servers, both
/// in plain UDP and DTLS-PSK.
/// </summary>
public sealed class CoapCommandLibcoapTests : IDisposable
{
    private const string Identity = "field-tech";
    private const string Key = "secretPSK-0123";
    private static readonly string s_keyHex = Convert.ToHexString(Encoding.ASCII.GetBytes(Key));
    private static readonly TimeSpan s_toolTimeout = TimeSpan.FromSeconds(30);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("coap-serve-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Coap_client_notls_gets_a_file_discovers_and_gets_404_and_403()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir.FullName, "hello.txt"), "hello from the gateway");
        Directory.CreateDirectory(Path.Combine(_dir.FullName, "logs"));
        await File.WriteAllTextAsync(Path.Combine(_dir.FullName, "logs", "today.log"), "all quiet");
        int port = LibcoapProcess.FreePort();
        await using var server = await CliRunner.ServeAsync("--port", port.ToString(), "--dir", _dir.FullName);
        string uri = $"coap://127.0.0.1:{port}";

        var get = await LibcoapProcess.RunAsync(s_toolTimeout, "coap-client-notls", "-B", "5", "-m", "get", $"{uri}/hello.txt");
        Assert.Equal("hello from the gateway", get.Output.Trim());

        var nested = await LibcoapProcess.RunAsync(s_toolTimeout, "coap-client-notls", "-B", "5", "-m", "get", $"{uri}/logs/today.log");
        Assert.Equal("all quiet", nested.Output.Trim());

        var discovery = await LibcoapProcess.RunAsync(s_toolTimeout, "coap-client-notls", "-B", "5", "-m", "get", $"{uri}/.well-known/core");
        Assert.Contains("</hello.txt>", discovery.Output, StringComparison.Ordinal);
        Assert.Contains("</logs/today.log>", discovery.Output, StringComparison.Ordinal);
        Assert.Contains("</time>", discovery.Output, StringComparison.Ordinal);
        Assert.Contains("obs", discovery.Output, StringComparison.Ordinal);

        var missing = await LibcoapProcess.RunAsync(s_toolTimeout, "coap-client-notls", "-B", "5", "-m", "get", $"{uri}/nothing.txt");
        Assert.Contains("4.04", missing.Output, StringComparison.Ordinal);

        // %2E%2E reaches us as a Uri-Path ".." segment; "..%2F" as one segment containing a slash.
        var dotdot = await LibcoapProcess.RunAsync(s_toolTimeout, "coap-client-notls", "-B", "5", "-m", "get", $"{uri}/%2E%2E/%2E%2E/etc/passwd");
        Assert.Contains("4.03", dotdot.Output, StringComparison.Ordinal);
        var slash = await LibcoapProcess.RunAsync(s_toolTimeout, "coap-client-notls", "-B", "5", "-m", "get", $"{uri}/..%2F..%2Fetc%2Fpasswd");
        Assert.Contains("4.03", slash.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Coap_client_notls_puts_100_kB_blockwise_and_gets_it_back_byte_identical()
    {
        byte[] content = new byte[100 * 1024];
        new Random(7).NextBytes(content);
        string source = Path.Combine(_dir.FullName, "..", $"upload-{Guid.NewGuid():N}.bin");
        string fetched = Path.Combine(_dir.FullName, "..", $"download-{Guid.NewGuid():N}.bin");
        await File.WriteAllBytesAsync(source, content);
        int port = LibcoapProcess.FreePort();
        await using var server = await CliRunner.ServeAsync("--port", port.ToString(), "--dir", _dir.FullName);
        try
        {
            var put = await LibcoapProcess.RunAsync(s_toolTimeout, "coap-client-notls", "-B", "20", "-b", "1024", "-m", "put", "-f", source, $"coap://127.0.0.1:{port}/firmware/image.bin");
            Assert.True(put.ExitCode == 0, put.Output);
            Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(_dir.FullName, "firmware", "image.bin")));

            var get = await LibcoapProcess.RunAsync(s_toolTimeout, "coap-client-notls", "-B", "20", "-b", "512", "-m", "get", "-o", fetched, $"coap://127.0.0.1:{port}/firmware/image.bin");
            Assert.True(get.ExitCode == 0, get.Output);
            Assert.Equal(content, await File.ReadAllBytesAsync(fetched));

            var delete = await LibcoapProcess.RunAsync(s_toolTimeout, "coap-client-notls", "-B", "5", "-m", "delete", $"coap://127.0.0.1:{port}/firmware/image.bin");
            Assert.True(delete.ExitCode == 0, delete.Output);
            Assert.False(File.Exists(Path.Combine(_dir.FullName, "firmware", "image.bin")));
        }
        finally
        {
            File.Delete(source);
            File.Delete(fetched);
        }
    }

    [Fact]
    public async Task Coap_client_notls_observes_time()
    {
        int port = LibcoapProcess.FreePort();
        await using var server = await CliRunner.ServeAsync("--port", port.ToString(), "--dir", _dir.FullName, "--time-interval", "0.5");

        var observe = await LibcoapProcess.RunAsync(s_toolTimeout, "coap-client-notls", "-B", "10", "-s", "3", "-m", "get", $"coap://127.0.0.1:{port}/time");

        // coap-client prints each notification's payload as is, without separators.
        string[] stamps = System.Text.RegularExpressions.Regex.Matches(observe.Output, @"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
            .Select(m => m.Value).ToArray();
        Assert.True(stamps.Length >= 3, $"expected several notifications, got: {observe.Output}");
        Assert.Equal(stamps.Length, stamps.Distinct().Count());
    }

    [Fact]
    public async Task Our_get_observe_and_discover_against_coap_server_notls()
    {
        int port = LibcoapProcess.FreePort();
        await using LibcoapProcess server = LibcoapProcess.Start("coap-server-notls", "-A", "127.0.0.1", "-p", port.ToString());
        await LibcoapProcess.WaitForUdpPortAsync(port, TimeSpan.FromSeconds(5));
        string uri = $"coap://127.0.0.1:{port}";

        var get = await CliRunner.RunAsync(s_toolTimeout, "get", uri + "/");
        Assert.True(get.ExitCode == ExitCodes.Ok, get.Error);
        Assert.StartsWith("2.05 Content", get.Output, StringComparison.Ordinal);
        Assert.Contains("This is a test server made with libcoap", get.Output, StringComparison.Ordinal);

        var json = await CliRunner.RunAsync(s_toolTimeout, "get", uri + "/", "--json");
        using (JsonDocument document = JsonDocument.Parse(json.Output))
        {
            Assert.Equal("2.05", document.RootElement.GetProperty("code").GetString());
            Assert.Equal("utf-8", document.RootElement.GetProperty("payloadEncoding").GetString());
        }

        var missing = await CliRunner.RunAsync(s_toolTimeout, "get", uri + "/no/such/thing");
        Assert.Equal(ExitCodes.RemoteError, missing.ExitCode);
        Assert.StartsWith("4.04 Not Found", missing.Output, StringComparison.Ordinal);

        var discover = await CliRunner.RunAsync(s_toolTimeout, "discover", uri);
        Assert.Equal(ExitCodes.Ok, discover.ExitCode);
        Assert.Contains("</time>", discover.Output, StringComparison.Ordinal);

        var observe = await CliRunner.RunAsync(s_toolTimeout, "observe", uri + "/time", "--count", "3", "--json");
        Assert.True(observe.ExitCode == ExitCodes.Ok, observe.Error);
        string[] lines = observe.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, line => Assert.Contains("\"Observe\"", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Our_put_of_100_kB_to_coap_server_notls_and_get_back()
    {
        byte[] content = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 100 * 1024 / 16).Select(i => $"line {i,9:D9}\n")));
        string file = Path.Combine(_dir.FullName, "payload.txt");
        await File.WriteAllBytesAsync(file, content);
        int port = LibcoapProcess.FreePort();
        // -d 10 allows dynamic resources created by PUT.
        await using LibcoapProcess server = LibcoapProcess.Start("coap-server-notls", "-A", "127.0.0.1", "-p", port.ToString(), "-d", "10");
        await LibcoapProcess.WaitForUdpPortAsync(port, TimeSpan.FromSeconds(5));

        var put = await CliRunner.RunAsync(s_toolTimeout, "put", $"coap://127.0.0.1:{port}/big", "--payload-file", file, "--content-format", "0");
        Assert.True(put.ExitCode == ExitCodes.Ok, put.Output + put.Error);

        var get = await CliRunner.RunAsync(s_toolTimeout, "get", $"coap://127.0.0.1:{port}/big", "--json");
        Assert.True(get.ExitCode == ExitCodes.Ok, get.Error);
        using JsonDocument document = JsonDocument.Parse(get.Output);
        Assert.Equal(Encoding.ASCII.GetString(content), document.RootElement.GetProperty("payload").GetString());
    }

    [Fact]
    public async Task Our_get_times_out_with_exit_code_5()
    {
        using var silent = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        int port = ((System.Net.IPEndPoint)silent.Client.LocalEndPoint!).Port;

        var result = await CliRunner.RunAsync(s_toolTimeout, "get", $"coap://127.0.0.1:{port}/x", "--timeout", "1");

        Assert.Equal(ExitCodes.Timeout, result.ExitCode);
        Assert.Contains("timeout", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Coap_client_openssl_gets_a_file_from_coap_serve_over_dtls()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir.FullName, "secret.txt"), "encrypted hello");
        int port = LibcoapProcess.FreePort();
        await using var server = await CliRunner.ServeAsync("--port", port.ToString(), "--dir", _dir.FullName, "--psk-identity", Identity, "--psk-key", s_keyHex);
        Assert.Contains($"coaps://", server.Output, StringComparison.Ordinal);

        var get = await LibcoapProcess.RunAsync(s_toolTimeout, "coap-client-openssl", "-B", "5", "-u", Identity, "-k", Key, "-m", "get", $"coaps://127.0.0.1:{port}/secret.txt");
        Assert.Equal("encrypted hello", get.Output.Trim());

        var wrong = await LibcoapProcess.RunAsync(s_toolTimeout, "coap-client-openssl", "-B", "4", "-u", Identity, "-k", "wrong-key-0000", "-m", "get", $"coaps://127.0.0.1:{port}/secret.txt");
        Assert.DoesNotContain("encrypted hello", wrong.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Coap_client_openssl_observes_time_over_dtls()
    {
        int port = LibcoapProcess.FreePort();
        await using var server = await CliRunner.ServeAsync("--port", port.ToString(), "--dir", _dir.FullName, "--psk-identity", Identity, "--psk-key", s_keyHex, "--time-interval", "0.5");

        var observe = await LibcoapProcess.RunAsync(s_toolTimeout, "coap-client-openssl", "-B", "10", "-s", "3", "-u", Identity, "-k", Key, "-m", "get", $"coaps://127.0.0.1:{port}/time");

        int notifications = System.Text.RegularExpressions.Regex.Count(observe.Output, @"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z");
        Assert.True(notifications >= 3, $"expected several notifications over DTLS, got: {observe.Output}");
    }

    [Fact]
    public async Task Our_get_over_dtls_against_coap_server_openssl_and_a_wrong_key_exits_5()
    {
        int port = LibcoapProcess.FreePortPair();
        await using LibcoapProcess server = LibcoapProcess.Start("coap-server-openssl", "-A", "127.0.0.1", "-p", port.ToString(), "-k", Key);
        await LibcoapProcess.WaitForUdpPortAsync(port + 1, TimeSpan.FromSeconds(5));
        string uri = $"coaps://127.0.0.1:{port + 1}/";

        var get = await CliRunner.RunAsync(s_toolTimeout, "get", uri, "--psk-identity", Identity, "--psk-key", s_keyHex);
        Assert.True(get.ExitCode == ExitCodes.Ok, get.Error);
        Assert.Contains("This is a test server made with libcoap", get.Output, StringComparison.Ordinal);

        // OpenSSL drops a client whose Finished does not decrypt without a word: the handshake times out.
        string wrongHex = Convert.ToHexString(Encoding.ASCII.GetBytes("wrong-key-0000"));
        var wrong = await CliRunner.RunAsync(s_toolTimeout, "get", uri, "--psk-identity", Identity, "--psk-key", wrongHex, "--timeout", "3");
        Assert.Equal(ExitCodes.Timeout, wrong.ExitCode);
        Assert.Contains("DTLS handshake timeout", wrong.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongHex, wrong.Error + wrong.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Our_client_and_server_over_dtls_round_trip_and_a_wrong_key_exits_6()
    {
        int port = LibcoapProcess.FreePort();
        await using var server = await CliRunner.ServeAsync("--port", port.ToString(), "--dir", _dir.FullName, "--psk-identity", Identity, "--psk-key", s_keyHex);
        string uri = $"coaps://127.0.0.1:{port}/notes/a.txt";
        string keyFile = Path.Combine(_dir.FullName, "..", $"key-{Guid.NewGuid():N}.hex");
        await File.WriteAllTextAsync(keyFile, s_keyHex.ToLowerInvariant() + "\n");
        try
        {
            string body = string.Concat(Enumerable.Repeat("0123456789", 300));
            var put = await CliRunner.RunAsync(s_toolTimeout, "put", uri, "--payload", body, "--block-size", "256", "--psk-identity", Identity, "--psk-key-file", keyFile);
            Assert.True(put.ExitCode == ExitCodes.Ok, put.Error);
            Assert.StartsWith("2.01 Created", put.Output, StringComparison.Ordinal);

            var get = await CliRunner.RunAsync(s_toolTimeout, "get", uri, "--block-size", "64", "--psk-identity", Identity, "--psk-key", s_keyHex);
            Assert.True(get.ExitCode == ExitCodes.Ok, get.Error);
            Assert.Contains(body, get.Output, StringComparison.Ordinal);

            string wrongHex = "00112233445566778899AABBCCDDEEFF";
            var wrong = await CliRunner.RunAsync(s_toolTimeout, "get", uri, "--psk-identity", Identity, "--psk-key", wrongHex, "--timeout", "10");
            Assert.Equal(ExitCodes.DtlsRefused, wrong.ExitCode);
            Assert.Contains("KeyMismatch", wrong.Error, StringComparison.Ordinal);
            Assert.DoesNotContain(wrongHex, wrong.Error + wrong.Output, StringComparison.OrdinalIgnoreCase);

            var unknown = await CliRunner.RunAsync(s_toolTimeout, "get", uri, "--psk-identity", "intruder", "--psk-key", s_keyHex);
            Assert.Equal(ExitCodes.DtlsRefused, unknown.ExitCode);
            Assert.Contains("UnknownIdentity", unknown.Error, StringComparison.Ordinal);

            var delete = await CliRunner.RunAsync(s_toolTimeout, "delete", uri, "--psk-identity", Identity, "--psk-key", s_keyHex);
            Assert.StartsWith("2.02 Deleted", delete.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(keyFile);
        }
    }

    [Fact]
    public async Task Serve_stops_cleanly_when_cancelled()
    {
        int port = LibcoapProcess.FreePort();
        var server = await CliRunner.ServeAsync("--port", port.ToString(), "--dir", _dir.FullName);

        int exitCode = await server.StopAsync();

        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Contains("Stopped.", server.Output, StringComparison.Ordinal);
        // The port is free again.
        using var rebind = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Any, port));
        await server.DisposeAsync();
    }
}
