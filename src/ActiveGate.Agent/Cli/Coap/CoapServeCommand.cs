using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Coap.Transport;
using ActiveGate.Coap.Transport.Dtls;
using ActiveGate.Coap.Transport.Udp;

namespace ActiveGate.Agent.Cli.Coap;

/// <summary>
/// <c>activegate coap serve [--port P] [--dir DIR] [--psk-identity ID --psk-key HEX]</c>: serves the
/// files of DIR (GET with Block2; PUT/POST with Block1 write; DELETE removes), lists them in
/// /.well-known/core, offers an observable /time, refuses paths outside DIR with 4.03, and stops
/// cleanly on SIGINT/SIGTERM.
/// </summary>
internal static class CoapServeCommand
{
    public static Command Create()
    {
        var port = new Option<int?>("--port") { Description = "UDP port (default 5683, or 5684 with DTLS)" };
        var directory = new Option<DirectoryInfo?>("--dir") { Description = "Directory whose files are served (default: the current directory)" };
        var bind = new Option<string?>("--bind") { Description = "Local address to listen on (default: all, IPv4 and IPv6)" };
        var pskIdentity = new Option<string?>("--psk-identity") { Description = "Serve coaps:// (DTLS-PSK) for this identity" };
        var pskKey = new Option<string?>("--psk-key") { Description = "The identity's pre-shared key in hex" };
        var pskKeyFile = new Option<FileInfo?>("--psk-key-file") { Description = "File holding the pre-shared key in hex" };
        var timeInterval = new Option<double>("--time-interval") { Description = "Seconds between /time notifications", DefaultValueFactory = _ => 1.0 };
        var command = new Command("serve", "Serve the files of a directory over CoAP (coaps:// with --psk-identity/--psk-key), with /.well-known/core and an observable /time")
        {
            port, directory, bind, pskIdentity, pskKey, pskKeyFile, timeInterval,
        };

        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            TextWriter error = parse.InvocationConfiguration.Error;
            PskCredential? credential = CoapPskArguments.Bind(parse.GetValue(pskIdentity), parse.GetValue(pskKey), parse.GetValue(pskKeyFile), secure: true, requireForSecure: false, out string? usage);
            int listenPort = parse.GetValue(port) ?? (credential is null ? 5683 : 5684);
            double interval = parse.GetValue(timeInterval);
            IPAddress address = IPAddress.IPv6Any;
            if (usage is null && listenPort is < 0 or > 65535)
            {
                usage = "--port must be between 0 and 65535.";
            }

            if (usage is null && (interval < 0.05 || double.IsNaN(interval)))
            {
                usage = "--time-interval must be at least 0.05 s.";
            }

            if (usage is null && parse.GetValue(bind) is { } bindText && !IPAddress.TryParse(bindText, out address!))
            {
                usage = $"'{bindText}' is not an IP address.";
            }

            if (usage is not null)
            {
                error.WriteLine("activegate coap serve: " + usage);
                return ExitCodes.Usage;
            }

            CoapFileStore store;
            try
            {
                store = new CoapFileStore(parse.GetValue(directory)?.FullName ?? Environment.CurrentDirectory);
            }
            catch (DirectoryNotFoundException e)
            {
                error.WriteLine("activegate coap serve: " + e.Message);
                return ExitCodes.Usage;
            }

            var local = new IPEndPoint(address, listenPort);
            IDatagramTransport transport;
            try
            {
                transport = credential is null
                    ? new UdpDatagramTransport(local)
                    : new DtlsPskServerTransport(WithEndPoint(DtlsPskServerOptions.ForSingleCredential(credential), local));
            }
            catch (System.Net.Sockets.SocketException e)
            {
                error.WriteLine($"activegate coap serve: cannot listen on {local}: {e.Message}");
                return ExitCodes.Failure;
            }

            // SIGTERM (systemd, kill) and SIGINT end the server like Ctrl-C: sockets closed, exit code 0.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => StopOnSignal(context, stop));
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => StopOnSignal(context, stop));
            cancellationToken = stop.Token;
            var server = new CoapServer(transport);
            await using (server.ConfigureAwait(false))
            {
                var root = new FileTreeResource(string.Empty, store, isFile: false);
                server.Root = root;
                var time = root.Add(new TimeResource());
                var tree = new FileTreeSynchronizer(root, store);
                tree.Synchronize();
                await server.StartAsync(cancellationToken).ConfigureAwait(false);
                string scheme = credential is null ? "coap" : "coaps";
                output.WriteLine($"Serving {store.Root} on {scheme}://{server.LocalEndPoint} (Ctrl-C to stop)");
                output.Flush();

                using var ticker = new PeriodicTimer(TimeSpan.FromSeconds(interval));
                long ticks = 0;
                try
                {
                    while (await ticker.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
                    {
                        time.NotifyChanged();
                        // Files added or removed behind our back appear in discovery within a few seconds.
                        if (++ticks % Math.Max(1, (long)(2 / interval)) == 0)
                        {
                            tree.Synchronize();
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    // SIGINT/SIGTERM: System.CommandLine cancels the token; dispose below closes the socket.
                }

                output.WriteLine("Stopped.");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static void StopOnSignal(PosixSignalContext context, CancellationTokenSource stop)
    {
        context.Cancel = true;
        stop.Cancel();
    }

    private static DtlsPskServerOptions WithEndPoint(DtlsPskServerOptions options, IPEndPoint local)
    {
        options.LocalEndPoint = local;
        return options;
    }

    /// <summary>
    /// Every node of the served tree (root, directories, files): each handles its whole sub-path, so a
    /// PUT can create files in places that have no node yet, and every request goes through the
    /// confinement checks of <see cref="CoapFileStore"/>.
    /// </summary>
    internal sealed class FileTreeResource : CoapResource
    {
        private readonly CoapFileStore _store;

        public FileTreeResource(string name, CoapFileStore store, bool isFile)
            : base(name)
        {
            _store = store;
            HandlesSubPaths = true;
            IsVisible = isFile;
            if (isFile)
            {
                ContentFormats.Add(CoapFileStore.ContentFormatOf(name));
            }
        }

        public Action? Changed { get; set; }

        public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken) =>
            ValueTask.FromResult(_store.Get(request.Path));

        public override ValueTask<CoapResponse> HandlePutAsync(CoapRequestContext request, CancellationToken cancellationToken) =>
            ValueTask.FromResult(Write(request));

        public override ValueTask<CoapResponse> HandlePostAsync(CoapRequestContext request, CancellationToken cancellationToken) =>
            ValueTask.FromResult(Write(request));

        public override ValueTask<CoapResponse> HandleDeleteAsync(CoapRequestContext request, CancellationToken cancellationToken)
        {
            CoapResponse response = _store.Delete(request.Path);
            if (response.IsSuccess)
            {
                RootOf(this).Changed?.Invoke();
            }

            return ValueTask.FromResult(response);
        }

        private CoapResponse Write(CoapRequestContext request)
        {
            CoapResponse response = _store.Write(request.Path, request.Payload.Span);
            if (response.IsSuccess)
            {
                RootOf(this).Changed?.Invoke();
            }

            return response;
        }

        private static FileTreeResource RootOf(CoapResource resource)
        {
            while (resource.Parent is not null)
            {
                resource = resource.Parent;
            }

            return (FileTreeResource)resource;
        }
    }

    /// <summary>Keeps one visible node per servable file under the root, so /.well-known/core lists them.</summary>
    internal sealed class FileTreeSynchronizer
    {
        private readonly FileTreeResource _root;
        private readonly CoapFileStore _store;
        private readonly object _gate = new();

        public FileTreeSynchronizer(FileTreeResource root, CoapFileStore store)
        {
            _root = root;
            _store = store;
            root.Changed = Synchronize;
        }

        public void Synchronize()
        {
            lock (_gate)
            {
                var wanted = new HashSet<string>(StringComparer.Ordinal);
                foreach (string[] segments in _store.ListFiles())
                {
                    wanted.Add(string.Join('/', segments));
                    CoapResource node = _root;
                    for (int i = 0; i < segments.Length; i++)
                    {
                        bool isFile = i == segments.Length - 1;
                        CoapResource? child = node.GetChild(segments[i]);
                        if (child is not FileTreeResource || child.IsVisible != isFile)
                        {
                            if (child is not null and not FileTreeResource)
                            {
                                // /time and /.well-known take precedence over files of the same name.
                                break;
                            }

                            child = node.Add(new FileTreeResource(segments[i], _store, isFile));
                        }

                        node = child;
                    }
                }

                Prune(_root, string.Empty, wanted);
            }
        }

        private static bool Prune(CoapResource node, string prefix, HashSet<string> wanted)
        {
            bool keep = false;
            foreach (CoapResource child in node.Children)
            {
                if (child is not FileTreeResource)
                {
                    keep = true;
                    continue;
                }

                string path = prefix.Length == 0 ? child.Name : prefix + "/" + child.Name;
                bool childKept = child.IsVisible ? wanted.Contains(path) : Prune(child, path, wanted);
                if (childKept)
                {
                    keep = true;
                }
                else
                {
                    node.Remove(child.Name);
                }
            }

            return keep;
        }
    }

    /// <summary>/time: the current UTC time as text, observable; notified every tick.</summary>
    internal sealed class TimeResource : CoapResource
    {
        public TimeResource()
            : base("time")
        {
            IsObservable = true;
            ResourceTypes.Add("time");
            ContentFormats.Add(CoapContentFormat.TextPlain);
            Title = "Current UTC time";
        }

        public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken)
        {
            CoapResponse response = CoapResponse.FromText(CoapCode.Content, DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            response.MaxAge = 2;
            return ValueTask.FromResult(response);
        }
    }
}
