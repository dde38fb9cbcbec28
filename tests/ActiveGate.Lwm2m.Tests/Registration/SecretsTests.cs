using System.Collections.Concurrent;
using ActiveGate.Lwm2m.Registration;
using Microsoft.Extensions.Logging;

namespace ActiveGate.Lwm2m.Tests.Registration;

public sealed class SecretsTests
{
    private sealed class CapturingLoggerFactory : ILoggerFactory, ILogger
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => this;

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception) + " " + exception);
    }

    [Fact]
    public async Task Keys_never_appear_in_logs_or_status()
    {
        byte[] key = "Sup3rS3cretKeyMaterial"u8.ToArray();
        await using var server = new ScriptedLwm2mServer();
        var logs = new CapturingLoggerFactory();
        string dir = Path.Combine(Path.GetTempPath(), "ag-lwm2m-secret-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var client = new Lwm2mClient(
                new Lwm2mClientOptions
                {
                    Endpoint = "urn:dev:secret",
                    ServerUri = server.Uri,
                    BootstrapUri = new Uri("coaps://127.0.0.1:9"),
                    PskIdentity = "gw-identity",
                    PskKey = key,
                    WatchAddressChanges = false,
                    StateDirectory = dir,
                    Device = TestModel.Info,
                },
                loggerFactory: logs,
                network: new TestModel.FakeNetwork(),
                memory: new TestModel.FixedMemory()))
            {
                await client.StartAsync();
                await server.NextAsync("register");
                await Lwm2mClientTests.WaitForAsync(() => client.Status.State == Lwm2mClientState.Registered);
                await server.SendAsync(ActiveGate.Coap.Messages.CoapCode.Get, "/0/1");
                await server.SendAsync(ActiveGate.Coap.Messages.CoapCode.Put, "/1/0/1", payload: "301"u8.ToArray(), contentFormat: 0);
                await server.NextAsync("update");
                Assert.DoesNotContain("Sup3r", client.Status.ToString(), StringComparison.Ordinal);
            }

            Assert.NotEmpty(logs.Lines);
            string all = string.Join("\n", logs.Lines);
            Assert.DoesNotContain("Sup3rS3cret", all, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToHexString(key), all, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToBase64String(key), all, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, true);
            }
        }
    }

    [Fact]
    public void Endpoint_names_and_key_files()
    {
        Assert.Equal("urn:dev:mac:00124b0001020304", EndpointName.FromEui64([0x00, 0x12, 0x4b, 0x00, 0x01, 0x02, 0x03, 0x04]));
        Assert.StartsWith("urn:dev:ops:activegate-", EndpointName.FromMachineId("/nonexistent"), StringComparison.Ordinal);
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "0x0011 22FF\n");
            Assert.Equal(new byte[] { 0x00, 0x11, 0x22, 0xFF }, EndpointName.ReadPskKeyFile(file));
            File.WriteAllText(file, "secret!");
            Assert.Equal("secret!"u8.ToArray(), EndpointName.ReadPskKeyFile(file));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
