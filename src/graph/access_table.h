/* The access table: one row of synchronization2 state per vkg_access (in vkgraph.h, in the
 * same order: tables.c checks it at compile time). Private, so the shorthand below stays out
 * of users' namespace.
 *
 * X(ENUM, name, stage, access, image layout, write, resource kinds, aspect, queue roles). */
#ifndef VKG_ACCESS_TABLE_H_
#define VKG_ACCESS_TABLE_H_

#include "vkgraph.h"

#define VKG__S2(x) VK_PIPELINE_STAGE_2_##x
#define VKG__A2(x) VK_ACCESS_2_##x
#define VKG__L(x) VK_IMAGE_LAYOUT_##x
#define VKG__KB VKG_ACCESS_KIND_BUFFER
#define VKG__KI VKG_ACCESS_KIND_IMAGE
#define VKG__KBI (VKG_ACCESS_KIND_BUFFER | VKG_ACCESS_KIND_IMAGE)
#define VKG__RG VKG_ACCESS_ROLE_GRAPHICS
#define VKG__RGC (VKG_ACCESS_ROLE_GRAPHICS | VKG_ACCESS_ROLE_COMPUTE)
#define VKG__RALL (VKG_ACCESS_ROLE_GRAPHICS | VKG_ACCESS_ROLE_COMPUTE | VKG_ACCESS_ROLE_TRANSFER)
#define VKG__SHADER_ACCESSES(X, P, PN, STAGE, ROLES)                                             \
    X(P##_UNIFORM_READ, PN "_uniform_read", STAGE, VKG__A2(UNIFORM_READ_BIT), VKG__L(UNDEFINED),  \
      0, VKG__KB, 0, ROLES)                                                                      \
    X(P##_SAMPLED_READ, PN "_sampled_read", STAGE, VKG__A2(SHADER_SAMPLED_READ_BIT),             \
      VKG__L(READ_ONLY_OPTIMAL), 0, VKG__KBI, 0, ROLES)                                          \
    X(P##_STORAGE_READ, PN "_storage_read", STAGE, VKG__A2(SHADER_STORAGE_READ_BIT),             \
      VKG__L(GENERAL), 0, VKG__KBI, 0, ROLES)                                                    \
    X(P##_STORAGE_WRITE, PN "_storage_write", STAGE, VKG__A2(SHADER_STORAGE_WRITE_BIT),          \
      VKG__L(GENERAL), 1, VKG__KBI, 0, ROLES)                                                    \
    X(P##_STORAGE_READ_WRITE, PN "_storage_read_write", STAGE,                                   \
      VKG__A2(SHADER_STORAGE_READ_BIT) | VKG__A2(SHADER_STORAGE_WRITE_BIT), VKG__L(GENERAL), 1,  \
      VKG__KBI, 0, ROLES)

#define VKG_ACCESS_TABLE(X)                                                                      \
    X(INDIRECT_READ, "indirect_read", VKG__S2(DRAW_INDIRECT_BIT),                                \
      VKG__A2(INDIRECT_COMMAND_READ_BIT), VKG__L(UNDEFINED), 0, VKG__KB, 0, VKG__RGC)            \
    X(INDEX_READ, "index_read", VKG__S2(INDEX_INPUT_BIT), VKG__A2(INDEX_READ_BIT),               \
      VKG__L(UNDEFINED), 0, VKG__KB, 0, VKG__RG)                                                 \
    X(VERTEX_READ, "vertex_read", VKG__S2(VERTEX_ATTRIBUTE_INPUT_BIT),                           \
      VKG__A2(VERTEX_ATTRIBUTE_READ_BIT), VKG__L(UNDEFINED), 0, VKG__KB, 0, VKG__RG)             \
    VKG__SHADER_ACCESSES(X, VERTEX, "vertex", VKG__S2(VERTEX_SHADER_BIT), VKG__RG)               \
    VKG__SHADER_ACCESSES(X, FRAGMENT, "fragment", VKG__S2(FRAGMENT_SHADER_BIT), VKG__RG)         \
    VKG__SHADER_ACCESSES(X, COMPUTE, "compute", VKG__S2(COMPUTE_SHADER_BIT), VKG__RGC)           \
    VKG__SHADER_ACCESSES(X, GEOMETRY, "geometry", VKG__S2(GEOMETRY_SHADER_BIT), VKG__RG)         \
    VKG__SHADER_ACCESSES(X, TESSELLATION, "tessellation",                                        \
                         VKG__S2(TESSELLATION_CONTROL_SHADER_BIT) |                              \
                             VKG__S2(TESSELLATION_EVALUATION_SHADER_BIT),                        \
                         VKG__RG)                                                                \
    VKG__SHADER_ACCESSES(X, TASK, "task", VKG__S2(TASK_SHADER_BIT_EXT), VKG__RG)                 \
    VKG__SHADER_ACCESSES(X, MESH, "mesh", VKG__S2(MESH_SHADER_BIT_EXT), VKG__RG)                 \
    X(COLOR_READ, "color_read", VKG__S2(COLOR_ATTACHMENT_OUTPUT_BIT),                            \
      VKG__A2(COLOR_ATTACHMENT_READ_BIT), VKG__L(ATTACHMENT_OPTIMAL), 0, VKG__KI,                \
      VK_IMAGE_ASPECT_COLOR_BIT, VKG__RG)                                                        \
    X(COLOR_WRITE, "color_write", VKG__S2(COLOR_ATTACHMENT_OUTPUT_BIT),                          \
      VKG__A2(COLOR_ATTACHMENT_WRITE_BIT), VKG__L(ATTACHMENT_OPTIMAL), 1, VKG__KI,               \
      VK_IMAGE_ASPECT_COLOR_BIT, VKG__RG)                                                        \
    X(COLOR_READ_WRITE, "color_read_write", VKG__S2(COLOR_ATTACHMENT_OUTPUT_BIT),                \
      VKG__A2(COLOR_ATTACHMENT_READ_BIT) | VKG__A2(COLOR_ATTACHMENT_WRITE_BIT),                  \
      VKG__L(ATTACHMENT_OPTIMAL), 1, VKG__KI, VK_IMAGE_ASPECT_COLOR_BIT, VKG__RG)                \
    X(DEPTH_READ, "depth_read",                                                                  \
      VKG__S2(EARLY_FRAGMENT_TESTS_BIT) | VKG__S2(LATE_FRAGMENT_TESTS_BIT),                      \
      VKG__A2(DEPTH_STENCIL_ATTACHMENT_READ_BIT), VKG__L(READ_ONLY_OPTIMAL), 0, VKG__KI,         \
      VK_IMAGE_ASPECT_DEPTH_BIT, VKG__RG)                                                        \
    X(DEPTH_WRITE, "depth_write",                                                                \
      VKG__S2(EARLY_FRAGMENT_TESTS_BIT) | VKG__S2(LATE_FRAGMENT_TESTS_BIT),                      \
      VKG__A2(DEPTH_STENCIL_ATTACHMENT_WRITE_BIT), VKG__L(ATTACHMENT_OPTIMAL), 1, VKG__KI,       \
      VK_IMAGE_ASPECT_DEPTH_BIT, VKG__RG)                                                        \
    X(DEPTH_READ_WRITE, "depth_read_write",                                                      \
      VKG__S2(EARLY_FRAGMENT_TESTS_BIT) | VKG__S2(LATE_FRAGMENT_TESTS_BIT),                      \
      VKG__A2(DEPTH_STENCIL_ATTACHMENT_READ_BIT) | VKG__A2(DEPTH_STENCIL_ATTACHMENT_WRITE_BIT),  \
      VKG__L(ATTACHMENT_OPTIMAL), 1, VKG__KI, VK_IMAGE_ASPECT_DEPTH_BIT, VKG__RG)                \
    X(STENCIL_READ, "stencil_read",                                                              \
      VKG__S2(EARLY_FRAGMENT_TESTS_BIT) | VKG__S2(LATE_FRAGMENT_TESTS_BIT),                      \
      VKG__A2(DEPTH_STENCIL_ATTACHMENT_READ_BIT), VKG__L(READ_ONLY_OPTIMAL), 0, VKG__KI,         \
      VK_IMAGE_ASPECT_STENCIL_BIT, VKG__RG)                                                      \
    X(STENCIL_WRITE, "stencil_write",                                                            \
      VKG__S2(EARLY_FRAGMENT_TESTS_BIT) | VKG__S2(LATE_FRAGMENT_TESTS_BIT),                      \
      VKG__A2(DEPTH_STENCIL_ATTACHMENT_WRITE_BIT), VKG__L(ATTACHMENT_OPTIMAL), 1, VKG__KI,       \
      VK_IMAGE_ASPECT_STENCIL_BIT, VKG__RG)                                                      \
    X(STENCIL_READ_WRITE, "stencil_read_write",                                                  \
      VKG__S2(EARLY_FRAGMENT_TESTS_BIT) | VKG__S2(LATE_FRAGMENT_TESTS_BIT),                      \
      VKG__A2(DEPTH_STENCIL_ATTACHMENT_READ_BIT) | VKG__A2(DEPTH_STENCIL_ATTACHMENT_WRITE_BIT),  \
      VKG__L(ATTACHMENT_OPTIMAL), 1, VKG__KI, VK_IMAGE_ASPECT_STENCIL_BIT, VKG__RG)              \
    X(RESOLVE_WRITE, "resolve_write", VKG__S2(COLOR_ATTACHMENT_OUTPUT_BIT),                      \
      VKG__A2(COLOR_ATTACHMENT_WRITE_BIT), VKG__L(ATTACHMENT_OPTIMAL), 1, VKG__KI,               \
      VK_IMAGE_ASPECT_COLOR_BIT, VKG__RG)                                                        \
    X(TRANSFER_READ, "transfer_read", VKG__S2(ALL_TRANSFER_BIT), VKG__A2(TRANSFER_READ_BIT),     \
      VKG__L(TRANSFER_SRC_OPTIMAL), 0, VKG__KBI, 0, VKG__RALL)                                   \
    X(TRANSFER_WRITE, "transfer_write", VKG__S2(ALL_TRANSFER_BIT), VKG__A2(TRANSFER_WRITE_BIT),  \
      VKG__L(TRANSFER_DST_OPTIMAL), 1, VKG__KBI, 0, VKG__RALL)                                   \
    X(HOST_READ, "host_read", VKG__S2(HOST_BIT), VKG__A2(HOST_READ_BIT), VKG__L(GENERAL), 0,     \
      VKG__KBI, 0, VKG__RALL)                                                                    \
    X(HOST_WRITE, "host_write", VKG__S2(HOST_BIT), VKG__A2(HOST_WRITE_BIT), VKG__L(GENERAL), 1,  \
      VKG__KBI, 0, VKG__RALL)                                                                    \
    X(PRESENT, "present", VKG__S2(NONE), VKG__A2(NONE), VKG__L(PRESENT_SRC_KHR), 0, VKG__KI,     \
      VK_IMAGE_ASPECT_COLOR_BIT, VKG__RG)                                                        \
    X(AS_BUILD_INPUT_READ, "acceleration_structure_build_input_read",                            \
      VKG__S2(ACCELERATION_STRUCTURE_BUILD_BIT_KHR), VKG__A2(SHADER_READ_BIT),                   \
      VKG__L(UNDEFINED), 0, VKG__KB, 0, VKG__RGC)                                                \
    X(AS_BUILD_READ, "acceleration_structure_build_read",                                        \
      VKG__S2(ACCELERATION_STRUCTURE_BUILD_BIT_KHR), VKG__A2(ACCELERATION_STRUCTURE_READ_BIT_KHR), \
      VKG__L(UNDEFINED), 0, VKG__KB, 0, VKG__RGC)                                                \
    X(AS_BUILD_WRITE, "acceleration_structure_build_write",                                      \
      VKG__S2(ACCELERATION_STRUCTURE_BUILD_BIT_KHR),                                             \
      VKG__A2(ACCELERATION_STRUCTURE_WRITE_BIT_KHR), VKG__L(UNDEFINED), 1, VKG__KB, 0, VKG__RGC)                                                \
    X(RAY_TRACING_AS_READ, "ray_tracing_acceleration_structure_read",                            \
      VKG__S2(RAY_TRACING_SHADER_BIT_KHR), VKG__A2(ACCELERATION_STRUCTURE_READ_BIT_KHR),         \
      VKG__L(UNDEFINED), 0, VKG__KB, 0, VKG__RGC)                                                \
    X(COMPUTE_AS_READ, "compute_acceleration_structure_read", VKG__S2(COMPUTE_SHADER_BIT),       \
      VKG__A2(ACCELERATION_STRUCTURE_READ_BIT_KHR), VKG__L(UNDEFINED), 0, VKG__KB, 0, VKG__RGC)  \
    X(FRAGMENT_AS_READ, "fragment_acceleration_structure_read", VKG__S2(FRAGMENT_SHADER_BIT),    \
      VKG__A2(ACCELERATION_STRUCTURE_READ_BIT_KHR), VKG__L(UNDEFINED), 0, VKG__KB, 0, VKG__RG)

#endif
