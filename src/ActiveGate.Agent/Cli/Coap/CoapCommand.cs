using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using ActiveGate.Coap;
using ActiveGate.Coap.Client;
using ActiveGate.Coap.LinkFormat;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Transport.Dtls;

namespace ActiveGate.Agent.Cli.Coap;

/// <summary>
/// <c>activegate coap get|put|post|delete|observe|discover|serve</c>: the CoAP field tools.
/// Exit codes: 0 on 2.xx, 2 for usage errors, 4 on 4.xx/5.xx (or RST), 5 when nothing answered in
/// time (including a DTLS handshake that never completes: OpenSSL-based servers silently drop a
/// client whose key is wrong), 6 when the DTLS handshake was refused (wrong key, unknown
/// identity, no common cipher suite), 1 for anything else.
/// </summary>
internal static class CoapCommand
{
    public static Command Create()
    {
        var coap = new Command("coap", "CoAP field tools: requests, observation and discovery against coap:// and coaps:// (DTLS-PSK) servers, and a file server. "
            + "Exit codes: 0 = 2.xx, 4 = 4.xx/5.xx, 5 = timeout, 6 = DTLS handshake refused (wrong key/identity), 2 = usage, 1 = other errors.");
        coap.Subcommands.Add(CreateRequest("get", CoapCode.Get, withPayload: false, "GET a resource and print code, options and payload"));
        coap.Subcommands.Add(CreateRequest("put", CoapCode.Put, withPayload: true, "PUT a payload (block-wise when large)"));
        coap.Subcommands.Add(CreateRequest("post", CoapCode.Post, withPayload: true, "POST a payload (block-wise when large)"));
        coap.Subcommands.Add(CreateRequest("delete", CoapCode.Delete, withPayload: false, "DELETE a resource"));
        coap.Subcommands.Add(CreateObserve());
        coap.Subcommands.Add(CreateDiscover());
        coap.Subcommands.Add(CoapServeCommand.Create());
        return coap;
    }

    private static Command CreateRequest(string name, CoapCode method, bool withPayload, string description)
    {
        var command = new Command(name, description);
        var options = new CoapClientOptionSet(command, withPayload, withCount: false);
        command.SetAction((ParseResult parse, CancellationToken cancellationToken) =>
            RunAsync(parse, options, async (client, settings, output, ct) =>
            {
                CoapResponse response = await client.SendAsync(BuildRequest(method, settings.Uri, settings), ct).ConfigureAwait(false);
                Print(response, settings, output);
                return response.IsSuccess ? ExitCodes.Ok : ExitCodes.RemoteError;
            }, cancellationToken));
        return command;
    }

    private static Command CreateObserve()
    {
        var command = new Command("observe", "Observe a resource (RFC 7641): print the response and every notification until --count, --timeout or Ctrl-C");
        var options = new CoapClientOptionSet(command, withPayload: false, withCount: true);
        command.SetAction((ParseResult parse, CancellationToken cancellationToken) =>
            RunAsync(parse, options, async (client, settings, output, ct) =>
            {
                // --timeout bounds the whole observation here; each registration still has the request timeout.
                using var duration = settings.Timeout is { } limit ? new CancellationTokenSource(limit) : new CancellationTokenSource();
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, duration.Token);
                CoapRequest request = BuildRequest(CoapCode.Get, settings.Uri, settings);
                request.Timeout = TimeSpan.FromSeconds(20);
                int received = 0;
                try
                {
                    await foreach (CoapResponse notification in client.ObserveAsync(request, linked.Token).ConfigureAwait(false))
                    {
                        Print(notification, settings, output);
                        received++;
                        if (!notification.IsSuccess)
                        {
                            return ExitCodes.RemoteError;
                        }

                        if (received >= settings.Count)
                        {
                            break;
                        }
                    }
                }
                catch (OperationCanceledException) when (linked.IsCancellationRequested)
                {
                    // The observation time is up or the user pressed Ctrl-C: a normal end once something arrived.
                    return received > 0 ? ExitCodes.Ok : ExitCodes.Timeout;
                }

                return ExitCodes.Ok;
            }, cancellationToken));
        return command;
    }

    private static Command CreateDiscover()
    {
        var command = new Command("discover", "List a server's resources (GET /.well-known/core, RFC 6690); a query in the URI filters, e.g. coap://host/?rt=temperature");
        var options = new CoapClientOptionSet(command, withPayload: false, withCount: false);
        command.SetAction((ParseResult parse, CancellationToken cancellationToken) =>
            RunAsync(parse, options, async (client, settings, output, ct) =>
            {
                var target = new UriBuilder(settings.Uri) { Path = "/.well-known/core" }.Uri;
                CoapRequest request = BuildRequest(CoapCode.Get, target, settings);
                request.Accept ??= CoapContentFormat.LinkFormat;
                CoapResponse response = await client.SendAsync(request, ct).ConfigureAwait(false);
                if (!response.IsSuccess || !LinkFormatParser.TryParse(response.PayloadAsString, out IReadOnlyList<CoapLink> links))
                {
                    Print(response, settings, output);
                    return response.IsSuccess ? ExitCodes.Ok : ExitCodes.RemoteError;
                }

                CoapResponseFormatter.WriteLinks(links, settings.Json, output);
                return ExitCodes.Ok;
            }, cancellationToken));
        return command;
    }

    private static CoapRequest BuildRequest(CoapCode method, Uri uri, CoapClientSettings settings) => new(method, uri)
    {
        Payload = settings.Payload,
        ContentFormat = settings.ContentFormat,
        Accept = settings.Accept,
        BlockSize = settings.BlockSize,
        Timeout = settings.RequestTimeout,
    };

    private static void Print(CoapResponse response, CoapClientSettings settings, TextWriter output)
    {
        if (settings.Json)
        {
            CoapResponseFormatter.WriteJson(response, output);
        }
        else
        {
            CoapResponseFormatter.WriteText(response, output);
        }

        output.Flush();
    }

    /// <summary>Binds the options, opens a CoAP client (over DTLS for coaps://, handshaking first) and maps failures to exit codes.</summary>
    private static async Task<int> RunAsync(ParseResult parse, CoapClientOptionSet optionSet,
        Func<CoapClient, CoapClientSettings, TextWriter, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        TextWriter error = parse.InvocationConfiguration.Error;
        CoapClientSettings? settings = optionSet.Bind(parse, out string? usage);
        if (settings is null)
        {
            error.WriteLine("activegate coap: " + usage);
            return ExitCodes.Usage;
        }

        string command = parse.CommandResult.Command.Name;
        try
        {
            var clientOptions = new CoapClientOptions
            {
                RequestTimeout = settings.RequestTimeout,
                PreferredBlockSize = settings.BlockSize ?? 1024,
            };
            CoapClient client;
            if (settings.Credential is { } credential)
            {
                var dtls = new DtlsPskClientTransport(new DtlsPskClientOptions
                {
                    Credential = credential,
                    HandshakeTimeout = Clamp(settings.RequestTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10)),
                });
                client = new CoapClient(dtls, clientOptions);
                await using (client.ConfigureAwait(false))
                {
                    // Handshake first, so a wrong key is reported as such and not as a CoAP timeout.
                    IPEndPoint remote = await CoapUri.ResolveAsync(settings.Uri, cancellationToken).ConfigureAwait(false);
                    await dtls.ConnectAsync(remote, cancellationToken).ConfigureAwait(false);
                    return await body(client, settings, output, cancellationToken).ConfigureAwait(false);
                }
            }

            client = new CoapClient(clientOptions);
            await using (client.ConfigureAwait(false))
            {
                return await body(client, settings, output, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (CoapTimeoutException e)
        {
            error.WriteLine($"activegate coap {command}: timeout: {e.Message}");
            return ExitCodes.Timeout;
        }
        catch (DtlsHandshakeException e) when (e.Reason == DtlsFailureReason.HandshakeTimeout)
        {
            error.WriteLine($"activegate coap {command}: DTLS handshake timeout: no DTLS answer from {e.Remote} (server down, not DTLS, or it silently rejected the PSK).");
            return ExitCodes.Timeout;
        }
        catch (DtlsHandshakeException e)
        {
            error.WriteLine($"activegate coap {command}: DTLS handshake refused ({e.Reason}): {e.Message}");
            return ExitCodes.DtlsRefused;
        }
        catch (CoapResetException e)
        {
            error.WriteLine($"activegate coap {command}: the server reset the request: {e.Message}");
            return ExitCodes.RemoteError;
        }
        catch (CoapException e)
        {
            error.WriteLine($"activegate coap {command}: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (SocketException e)
        {
            error.WriteLine($"activegate coap {command}: network error: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            error.WriteLine($"activegate coap {command}: interrupted");
            return ExitCodes.Failure;
        }
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) => value < min ? min : value > max ? max : value;
}
