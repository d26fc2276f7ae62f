BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestImages.psm1') -Force
    Import-Module (Get-GridTsneManifestPath)

    # Three well-separated groups of 20-d vectors; the group is encoded in the path. Values have 3 decimals,
    # so that PowerShell's 7-digit float-to-text conversion (-join, Export-Csv) loses nothing.
    function New-TsneInput {
        param([int] $Count = 120, [int] $Dimensions = 20, [int] $Seed = 1)
        $random = [System.Random]::new($Seed)
        for ($i = 0; $i -lt $Count; $i++) {
            $group = $i % 3
            $vector = [float[]]::new($Dimensions)
            for ($d = 0; $d -lt $Dimensions; $d++) { $vector[$d] = [float][math]::Round(10 * $group * (($d % 3) -eq $group) + $random.NextDouble(), 3) }
            [pscustomobject]@{ Path = "/photos/group$group/item$i.jpg"; Vector = $vector }
        }
    }

    function Get-GroupAccuracy {
        # Share of points whose 5 nearest map neighbours are mostly from their own group.
        param($Points)
        $good = 0
        foreach ($p in $Points) {
            $group = $p.Path -replace '^.*group(\d).*$', '$1'
            $nearest = $Points | Where-Object { $_ -ne $p } |
                Sort-Object { ($_.X - $p.X) * ($_.X - $p.X) + ($_.Y - $p.Y) * ($_.Y - $p.Y) } | Select-Object -First 5
            $same = @($nearest | Where-Object { ($_.Path -replace '^.*group(\d).*$', '$1') -eq $group }).Count
            if ($same -ge 3) { $good++ }
        }
        $good / @($Points).Count
    }

    $script:items = @(New-TsneInput)
    $script:points = @($items | Invoke-Tsne)
}

Describe 'Invoke-Tsne' {
    Context 'Output' {
        It 'emits one TsnePoint per input, in input order, with finite coordinates' {
            $points.Count | Should -Be $items.Count
            $points[0].GetType().FullName | Should -Be 'GridTsne.TsnePoint'
            for ($i = 0; $i -lt $items.Count; $i++) { $points[$i].Path | Should -Be $items[$i].Path }
            $points | ForEach-Object { [double]::IsFinite($_.X) -and [double]::IsFinite($_.Y) } | Should -Not -Contain $false
        }

        It 'keeps the groups apart' {
            Get-GroupAccuracy $points | Should -BeGreaterOrEqual 0.95
        }

        It 'passes a float[] vector on by reference' {
            [object]::ReferenceEquals($points[7].Vector, $items[7].Vector) | Should -BeTrue
        }

        It 'declares its output type' {
            (Get-Command Invoke-Tsne).OutputType.Type | Should -Be ([GridTsne.TsnePoint])
        }

        It 'gives the same map for the same seed and another for another seed' {
            $again = @($items | Invoke-Tsne)
            $again.X | Should -Be $points.X
            $again.Y | Should -Be $points.Y
            $other = @($items | Invoke-Tsne -Initialization Random -Seed 7)
            $other.X | Should -Not -Be $points.X
        }

        It 'maps a single item to (0, 0) and no input to nothing' {
            $single = $items[0] | Invoke-Tsne -WarningAction SilentlyContinue
            $single.X | Should -Be 0
            $single.Y | Should -Be 0
            @(@() | Invoke-Tsne).Count | Should -Be 0
        }
    }

    Context 'Binding' {
        It 'binds double[] vectors and the aliases Embedding, Features, FullName and PSPath' {
            $a = @($items | ForEach-Object { [pscustomobject]@{ FullName = $_.Path; Embedding = [double[]]$_.Vector } } | Invoke-Tsne)
            $b = @($items | ForEach-Object { [pscustomobject]@{ PSPath = "Microsoft.PowerShell.Core\FileSystem::$($_.Path)"; Features = [object[]]$_.Vector } } | Invoke-Tsne)
            $a.Path | Should -Be $items.Path
            $b.Path | Should -Be $items.Path
            $a.X | Should -Be $points.X
            $b.X | Should -Be $points.X
        }

        It 'binds Import-Csv strings separated by semicolons, commas or blanks' {
            $csv = Join-Path $TestDrive 'vectors.csv'
            $items | Select-Object Path, @{ n = 'Vector'; e = { $_.Vector -join ';' } } | Export-Csv -LiteralPath $csv
            $fromCsv = @(Import-Csv -LiteralPath $csv | Invoke-Tsne)
            $fromCsv.Path | Should -Be $items.Path
            $fromCsv.X | Should -Be $points.X
            $fromCsv[0].Vector | Should -Be $items[0].Vector

            $other = @($items | Select-Object -First 30 | ForEach-Object { [pscustomobject]@{ Vector = ($_.Vector -join ', ') } } | Invoke-Tsne)
            $blank = @($items | Select-Object -First 30 | ForEach-Object { [pscustomobject]@{ Vector = ($_.Vector -join "  `t") } } | Invoke-Tsne)
            $other.X | Should -Be $blank.X
        }

        It 'binds the deserialised vectors of Import-Clixml' {
            $xml = Join-Path $TestDrive 'vectors.xml'
            $items | Export-Clixml -LiteralPath $xml
            $fromXml = @(Import-Clixml -LiteralPath $xml | Invoke-Tsne)
            $fromXml.X | Should -Be $points.X
        }

        It 'passes the hidden thumbnail and the path of ImageEmbedding objects on' {
            $thumbnailType = [GridTsne.ImageEmbedding].GetProperty('Thumbnail').PropertyType
            $constructor = $thumbnailType.GetConstructors([System.Reflection.BindingFlags]'NonPublic, Instance')[0]
            $embeddings = foreach ($item in $items | Select-Object -First 10) {
                $embedding = [GridTsne.ImageEmbedding]::new()
                $embedding.Path = $item.Path
                $embedding.Vector = $item.Vector
                $embedding.Thumbnail = $constructor.Invoke(@([byte[]](1, 2, 3), 1, 1, 1, 1))
                $embedding
            }
            $mapped = @($embeddings | Invoke-Tsne -WarningAction SilentlyContinue)
            for ($i = 0; $i -lt 10; $i++) {
                [object]::ReferenceEquals($mapped[$i].Thumbnail, $embeddings[$i].Thumbnail) | Should -BeTrue
                $mapped[$i].Path | Should -Be $embeddings[$i].Path
            }
            $mapped[0].PSObject.Properties.Name | Should -Not -Contain 'Thumbnail'
        }
    }

    Context 'Errors' {
        It 'stops on vectors of different lengths, naming the first offending item' {
            $bad = @($items[0], $items[1], [pscustomobject]@{ Path = '/photos/short.jpg'; Vector = [float[]](1, 2, 3) }, $items[3])
            $failure = { $bad | Invoke-Tsne } | Should -Throw -PassThru
            $failure.FullyQualifiedErrorId | Should -BeLike 'VectorLengthMismatch*'
            $failure.Exception.Message | Should -BeLike '*item 3*short.jpg*3 values*20*'
        }

        It 'stops on NaN or infinity, naming the item and the position' {
            $vector = [float[]]$items[1].Vector.Clone()
            $vector[4] = [float]::NaN
            $failure = { $items[0], [pscustomobject]@{ Path = '/photos/nan.jpg'; Vector = $vector } | Invoke-Tsne } | Should -Throw -PassThru
            $failure.FullyQualifiedErrorId | Should -BeLike 'VectorNotFinite*'
            $failure.Exception.Message | Should -BeLike '*item 2*nan.jpg*NaN*position 4*'
            $failure = { [pscustomobject]@{ Vector = '1;2;Infinity' } | Invoke-Tsne } | Should -Throw -PassThru
            $failure.FullyQualifiedErrorId | Should -BeLike 'VectorNotFinite*'
        }

        It 'stops on text that is not numbers, and explains an Export-Csv type name' {
            $failure = { [pscustomobject]@{ Vector = '1;two;3' } | Invoke-Tsne } | Should -Throw -PassThru
            $failure.FullyQualifiedErrorId | Should -BeLike 'VectorNotNumeric*'
            $failure.Exception.Message | Should -BeLike "*'two'*"
            $failure = { [pscustomobject]@{ Path = 'a.jpg'; Vector = 'System.Single[]' } | Invoke-Tsne } | Should -Throw -PassThru
            $failure.Exception.Message | Should -BeLike '*Export-Csv*-join*'
        }

        It 'validates parameter ranges and names' {
            { $items | Invoke-Tsne -Perplexity 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
            { $items | Invoke-Tsne -Theta 5 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
            { $items | Invoke-Tsne -Method Quick } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        }

        It 'refuses the exact method above its limit' {
            $many = foreach ($i in 1..5001) { [pscustomobject]@{ Vector = [float[]](($i % 7), ($i % 11)) } }
            $failure = { $many | Invoke-Tsne -Method Exact } | Should -Throw -PassThru
            $failure.FullyQualifiedErrorId | Should -BeLike 'ExactMethodTooLarge*'
        }
    }

    Context 'Messages' {
        It 'reports the method, each phase''s time and the final KL divergence with -Verbose' {
            $verbose = @($items | Invoke-Tsne -Method BarnesHut -Iterations 300 -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message
            $text = $verbose -join "`n"
            $text | Should -Match 'method BarnesHut \(theta 0.5\), perplexity 30 on 90 exact neighbours'
            foreach ($phase in 'PCA', 'Neighbours', 'Affinities', 'Optimisation') { $text | Should -Match "(?m)^${phase}: \d+\.\d+ s" }
            $text | Should -Match '(?m)^Final KL divergence: \d+\.\d+'
        }

        It 'warns when the perplexity is lowered' {
            $null = $items | Select-Object -First 20 | Invoke-Tsne -WarningVariable warnings -WarningAction SilentlyContinue
            $warnings | Should -HaveCount 1
            $warnings[0] | Should -BeLike '*lowered to 6.333*'
            $null = $items | Invoke-Tsne -Perplexity 10 -WarningVariable none -Iterations 10
            $none | Should -HaveCount 0
        }

        It 'writes progress with the iteration and KL divergence' {
            $ps = [powershell]::Create()
            try {
                $null = $ps.AddScript("Import-Module '$(Get-GridTsneManifestPath)'; `$args[0] | Invoke-Tsne -Iterations 120 -EarlyExaggerationIterations 60").AddArgument($items)
                $null = $ps.Invoke()
                $records = @($ps.Streams.Progress)
                $records.StatusDescription | Should -Contain 'Affinities'
                $records.StatusDescription | Should -Contain 'Early exaggeration, iteration 60 of 120'
                $records.StatusDescription | Should -Contain 'Optimisation, iteration 120 of 120'
                ($records.CurrentOperation | Where-Object { $_ -match '^KL divergence \d' }) | Should -Not -BeNullOrEmpty
                $records[-1].RecordType | Should -Be 'Completed'
            }
            finally { $ps.Dispose() }
        }
    }

    Context 'Cancellation' {
        It 'stops during the optimization on a pipeline stop (Ctrl+C)' {
            $many = @(New-TsneInput -Count 6000 -Dimensions 30)
            # Stop once the optimisation runs (its progress records arrive).
            $stop = Stop-RunningPipeline { param($Vectors) $Vectors | Invoke-Tsne -Method BarnesHut -Iterations 100000 } -ArgumentList (, $many) -Until {
                param($Shell, $Output) [bool]($Shell.Streams.Progress | Where-Object StatusDescription -like '*iteration*')
            }
            $stop.WasRunning | Should -BeTrue
            $stop.Stopped | Should -BeTrue
            $stop.OutputCount | Should -Be 0
            $stop.State | Should -Be 'Stopped'
        }
    }
}
