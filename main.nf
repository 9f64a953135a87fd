#!/usr/bin/env nextflow
/*
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
    tkiseq: RNA-seq of B-ALL against ex vivo TKI response
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
    Wiring only. Every stage is a `tkiseq <stage>` call (modules/local/<stage>/main.nf),
    the same subcommands the local runner (`tkiseq run`) calls.
*/

include { VALIDATE   } from './modules/local/validate'
include { STAR_INDEX } from './modules/local/star_index'
include { STAR_ALIGN } from './modules/local/star_align'
include { COUNTS     } from './modules/local/counts'

workflow TKISEQ {
    take:
    samplesheet // path: samplesheet.csv
    phenotypes  // path: phenotypes.csv
    cnv         // path: cnv.csv, or [] when not given
    fasta       // path: genome.fa
    gtf         // path: genes.gtf
    star_index  // path: prebuilt STAR index folder, or null to build one

    main:
    ch_versions = channel.empty()

    //
    // Validate the tables once; the valid samplesheet holds absolute paths
    //
    VALIDATE(channel.of([[id: 'inputs'], samplesheet, phenotypes, cnv]))
    ch_versions = ch_versions.mix(VALIDATE.out.versions)

    ch_reads = VALIDATE.out.samplesheet     // [ val(meta), path(samplesheet.valid.csv) ]
        .map { _meta, csv -> csv }
        .splitCsv(header: true)             // [ sample:, fastq_1:, fastq_2:, strandedness:, bam:, ... ]
        .filter { row -> row.fastq_1 || row.bam }
        .map { row ->
            def meta = [
                id: row.sample,
                strandedness: row.strandedness ?: 'auto',
                single_end: !row.fastq_2,
                from_bam: !row.fastq_1,
            ]
            def reads = row.fastq_1 ? [row.fastq_1, row.fastq_2].findAll { f -> f } : [row.bam]
            [meta, reads.collect { f -> file(f, checkIfExists: true) }]
        }                                   // [ val(meta), [ path(fastq_1), path(fastq_2) ] ] or [ val(meta), [ path(bam) ] ]

    //
    // STAR index: reuse the given one, or build it once
    //
    ch_gtf = channel.value([[id: gtf.baseName], gtf]) // [ val(meta), path(gtf) ]
    if (star_index) {
        ch_star_index = channel.value([[id: 'star_index'], star_index])
    }
    else {
        STAR_INDEX(channel.value([[id: 'star_index'], fasta, gtf]))
        ch_star_index = STAR_INDEX.out.index
        ch_versions = ch_versions.mix(STAR_INDEX.out.versions)
    }                                       // [ val(meta), path(star_index) ]

    //
    // Align every sample (a BAM-only row is realigned): BAM, junctions, chimeric junctions,
    // gene counts, strandedness
    //
    STAR_ALIGN(ch_reads, ch_star_index)
    ch_versions = ch_versions.mix(STAR_ALIGN.out.versions.first())

    //
    // Cohort count matrix and AnnData
    //
    ch_counts_input = STAR_ALIGN.out.reads_per_gene
        .join(STAR_ALIGN.out.strandedness)  // [ val(meta), path(ReadsPerGene.out.tab), path(strandedness.json) ]
        .toSortedList { a, b -> a[0].id <=> b[0].id }
        .map { rows -> [[id: 'cohort'], rows.collect { row -> row[1] }, rows.collect { row -> row[2] }] }
                                            // [ val(meta), [ path(ReadsPerGene.out.tab), ... ], [ path(strandedness.json), ... ] ]
    COUNTS(ch_counts_input, ch_gtf, VALIDATE.out.phenotypes)
    ch_versions = ch_versions.mix(COUNTS.out.versions)

    emit:
    samplesheet    = VALIDATE.out.samplesheet  // [ val(meta), path(samplesheet.valid.csv) ]
    bam            = STAR_ALIGN.out.bam        // [ val(meta), path(bam), path(bai) ]
    junctions      = STAR_ALIGN.out.junctions  // [ val(meta), path(SJ.out.tab) ]
    chimeric       = STAR_ALIGN.out.chimeric   // [ val(meta), path(Chimeric.out.junction) ]
    reads_per_gene = STAR_ALIGN.out.reads_per_gene // [ val(meta), path(ReadsPerGene.out.tab) ]
    counts         = COUNTS.out.counts         // [ val(meta), path(counts.tsv) ]
    h5ad           = COUNTS.out.h5ad           // [ val(meta), path(cohort.h5ad) ]
    versions       = ch_versions               // path(versions.yml)
}

workflow {
    main:
    TKISEQ(
        file(params.input, checkIfExists: true),
        file(params.phenotypes, checkIfExists: true),
        params.cnv ? file(params.cnv, checkIfExists: true) : [],
        file(params.fasta, checkIfExists: true),
        file(params.gtf, checkIfExists: true),
        params.star_index ? file(params.star_index, checkIfExists: true) : null,
    )

    TKISEQ.out.versions
        .unique()
        .collectFile(name: 'software_versions.yml', storeDir: "${params.outdir}/pipeline_info", sort: true)
}
