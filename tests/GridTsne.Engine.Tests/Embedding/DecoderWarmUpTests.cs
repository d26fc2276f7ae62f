using GridTsne.Engine.Embedding;

namespace GridTsne.Engine.Tests.Embedding;

public class DecoderWarmUpTests
{
    [Fact]
    public void Runs_the_decoding_path_until_canceled()
    {
        Assert.Equal(40, DecoderWarmUp.Run(thumbnailSize: 64, CancellationToken.None));

        using var canceled = new CancellationTokenSource();
        canceled.Cancel();
        Assert.Equal(0, DecoderWarmUp.Run(thumbnailSize: 0, canceled.Token));
    }
}
