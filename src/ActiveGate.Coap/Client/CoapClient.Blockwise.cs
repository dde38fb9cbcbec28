using System.Buffers;
using System.Net;
using ActiveGate.Coap.Messages;

namespace ActiveGate.Coap.Client;

public sealed partial class CoapClient
{
    private const int MaxBlock2Restarts = 3;

    /// <summary>Runs one logical request: Block1 upload when needed, then Block2 reassembly of the answer.</summary>
    private async Task<CoapMessage> ExecuteAsync(CoapMessage template, ReadOnlyMemory<byte> payload, int sizeExponent, EndPoint remote, CancellationToken cancellationToken)
    {
        CoapMessage response;
        if (payload.Length > (1 << (sizeExponent + 4)))
        {
            response = await SendBlock1Async(template, payload, sizeExponent, remote, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            response = await ExchangeOnceAsync(template, payload, remote, cancellationToken).ConfigureAwait(false);
            if (response.Code == CoapCode.RequestEntityTooLarge && response.Block1 is { } wanted && wanted.Size < payload.Length)
            {
                // RFC 7959 §2.9.3: the server tells us the block size it can take; retry block-wise.
                response = await SendBlock1Async(template, payload, wanted.SizeExponent, remote, cancellationToken).ConfigureAwait(false);
            }
        }

        if (response.Code.IsSuccess && response.Block2 is { More: true })
        {
            ReadOnlyMemory<byte> bodyOfFollowUps = template.Code == CoapCode.Fetch ? payload : default;
            response = await FetchRemainingBlocksAsync(template, bodyOfFollowUps, response, remote, cancellationToken).ConfigureAwait(false);
        }

        return response;
    }

    /// <summary>
    /// Block1 upload (RFC 7959 §2.5): sends the body in blocks, follows 2.31 Continue, adopts a
    /// smaller SZX proposed by the server and restarts once at a smaller size on 4.13.
    /// </summary>
    private async Task<CoapMessage> SendBlock1Async(CoapMessage template, ReadOnlyMemory<byte> payload, int sizeExponent, EndPoint remote, CancellationToken cancellationToken)
    {
        int offset = 0;
        while (true)
        {
            int size = 1 << (sizeExponent + 4);
            uint number = (uint)(offset / size);
            int length = Math.Min(size, payload.Length - offset);
            bool more = offset + length < payload.Length;
            CoapMessage block = template.Clone();
            block.Block1 = new BlockOption(number, more, sizeExponent);
            if (number == 0)
            {
                block.Size1 = (uint)payload.Length;
            }

            CoapMessage response = await ExchangeOnceAsync(block, payload.Slice(offset, length), remote, cancellationToken).ConfigureAwait(false);
            if (!more)
            {
                return response;
            }

            if (response.Code == CoapCode.Continue)
            {
                offset += length;
                if (response.Block1 is { } acknowledged && acknowledged.SizeExponent < sizeExponent)
                {
                    sizeExponent = acknowledged.SizeExponent;
                }

                continue;
            }

            if (response.Code == CoapCode.RequestEntityTooLarge && offset == 0 &&
                response.Block1 is { } proposal && proposal.SizeExponent < sizeExponent)
            {
                sizeExponent = proposal.SizeExponent;
                continue;
            }

            // Any other answer (an error, or a final response before the last block) ends the upload.
            return response;
        }
    }

    /// <summary>
    /// Block2 download (RFC 7959 §2.4): asks for the following blocks, checks that the ETag stays
    /// the same (restarting when the representation changed) and returns one message with the whole body.
    /// </summary>
    private async Task<CoapMessage> FetchRemainingBlocksAsync(CoapMessage template, ReadOnlyMemory<byte> followUpPayload, CoapMessage first, EndPoint remote, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            CoapMessage? result = await TryFetchRemainingBlocksAsync(template, followUpPayload, first, remote, cancellationToken).ConfigureAwait(false);
            if (result is not null)
            {
                return result;
            }

            if (attempt >= MaxBlock2Restarts)
            {
                throw new CoapRepresentationChangedException();
            }

            // The representation changed: start over from block 0.
            CoapMessage restart = template.Clone();
            restart.Options.RemoveAll(CoapOptionNumber.Observe);
            restart.Block2 = new BlockOption(0, false, first.Block2!.Value.SizeExponent);
            first = await ExchangeOnceAsync(restart, followUpPayload, remote, cancellationToken).ConfigureAwait(false);
            if (!first.Code.IsSuccess || first.Block2 is not { More: true })
            {
                return first;
            }
        }
    }

    private async Task<CoapMessage?> TryFetchRemainingBlocksAsync(CoapMessage template, ReadOnlyMemory<byte> followUpPayload, CoapMessage first, EndPoint remote, CancellationToken cancellationToken)
    {
        BlockOption block = first.Block2!.Value;
        ReadOnlyMemory<byte>? etag = first.ETag;
        var body = new ArrayBufferWriter<byte>(Math.Max(first.Payload.Length * 4, 256));
        if (first.Size2 is uint announced && announced > _options.MaxResponseBodySize)
        {
            throw new CoapException($"The response body ({announced} bytes) exceeds the limit of {_options.MaxResponseBodySize} bytes.");
        }

        body.Write(first.Payload.Span);
        int sizeExponent = block.SizeExponent;
        bool more = block.More;
        while (more)
        {
            int size = 1 << (sizeExponent + 4);
            uint number = (uint)(body.WrittenCount / size);
            CoapMessage next = template.Clone();

            // RFC 7959 §2.6 / RFC 7641: follow-up block requests of a notification are plain GETs.
            next.Options.RemoveAll(CoapOptionNumber.Observe);
            next.Options.RemoveAll(CoapOptionNumber.Block1);
            next.Options.RemoveAll(CoapOptionNumber.Size1);
            next.Block2 = new BlockOption(number, false, sizeExponent);
            CoapMessage response = await ExchangeOnceAsync(next, followUpPayload, remote, cancellationToken).ConfigureAwait(false);
            if (!response.Code.IsSuccess)
            {
                return response;
            }

            if (!SameETag(etag, response.ETag))
            {
                return null;
            }

            if (response.Block2 is not { } received || received.Offset != body.WrittenCount)
            {
                throw new CoapException("The server sent a block that does not continue the body.");
            }

            if (body.WrittenCount + response.Payload.Length > _options.MaxResponseBodySize)
            {
                throw new CoapException($"The response body exceeds the limit of {_options.MaxResponseBodySize} bytes.");
            }

            body.Write(response.Payload.Span);
            sizeExponent = received.SizeExponent;
            more = received.More;
        }

        CoapMessage whole = first.Clone();
        whole.Options.RemoveAll(CoapOptionNumber.Block2);
        whole.Payload = body.WrittenMemory;
        return whole;
    }

    private static bool SameETag(ReadOnlyMemory<byte>? expected, ReadOnlyMemory<byte>? actual) =>
        expected is null ? actual is null : actual is not null && expected.Value.Span.SequenceEqual(actual.Value.Span);
}
