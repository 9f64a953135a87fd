//
// PREPARE_GENOME: the reference, prepared once per run (as nf-core rnaseq's PREPARE_GENOME):
// the STAR index (given, or built from FASTA + GTF) and the annotation bundle (given, or
// `tkiseq prepare`: the GTF parsed once; every later stage reads the bundle, not the GTF)
//
include { TKISEQ_STAR_INDEX } from '../../../modules/local/tkiseq/star_index'
include { TKISEQ_PREPARE    } from '../../../modules/local/tkiseq/prepare'

workflow PREPARE_GENOME {
    take:
    fasta      // path: genome.fa, or [] (a run from a count matrix)
    gtf        // path: genes.gtf
    star_index // path: prebuilt STAR index folder, or null to build one
    annotation // path: prebuilt annotation bundle folder, or null to prepare one
    reads      // boolean: a run from reads (false: from a count matrix, no STAR index)

    main:
    ch_versions = channel.empty()
    if (!reads) {
        ch_star_index = channel.empty()
    }
    else if (star_index) {
        ch_star_index = channel.value([[id: 'star_index'], star_index])
    }
    else {
        TKISEQ_STAR_INDEX(channel.value([[id: 'star_index'], fasta, gtf]))
        ch_star_index = TKISEQ_STAR_INDEX.out.index
        ch_versions = ch_versions.mix(TKISEQ_STAR_INDEX.out.versions)
    }                                       // [ val(meta), path(star_index) ]
    if (annotation) {
        ch_annotation = channel.value([[id: 'annotation'], annotation])
    }
    else {
        TKISEQ_PREPARE(channel.value([[id: 'annotation'], gtf, fasta]))
        ch_annotation = TKISEQ_PREPARE.out.annotation
        ch_versions = ch_versions.mix(TKISEQ_PREPARE.out.versions)
    }                                       // [ val(meta), path(annotation) ]

    emit:
    star_index = ch_star_index // [ val(meta), path(star_index) ]
    annotation = ch_annotation // [ val(meta), path(annotation) ]
    versions   = ch_versions   // path(versions.yml)
}
